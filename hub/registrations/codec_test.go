package registrationsapp

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventstore"
	"conference/shared/registrations"
)

func TestEveryProcessCommandRoundTripsThroughTheOutboxCodec(t *testing.T) {
	codec := NewCommandCodec()
	at := time.Date(2026, 6, 1, 10, 15, 0, 0, time.UTC)
	order, conf, corr, cause := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	cmds := []registrations.Command{
		registrations.MakeSeatReservation{ConferenceID: conf, ReservationID: order, Seats: seats(uuid.New(), 2)},
		registrations.ConfirmOrder{OrderID: order},
		registrations.RefundPayment{PaymentID: uuid.New(), OrderID: order, Amount: eur(500), Reason: "late"},
		registrations.ReservationTimeout{OrderID: order, At: at},
	}
	for _, cmd := range ProcessCommands() {
		if _, err := codec.Encode(cmd, corr, cause); err != nil {
			t.Errorf("encode %s: %v", cmd.CommandType(), err)
		}
	}
	for _, cmd := range cmds {
		m, err := codec.Encode(cmd, corr, cause)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != eventstore.KindCommand || m.Type != cmd.CommandType() || m.CorrelationID != corr || m.CausationID != cause || m.ID == uuid.Nil {
			t.Errorf("envelope of %s: got %+v", cmd.CommandType(), m)
		}
		got, err := codec.Decode(m)
		if err != nil || !reflect.DeepEqual(got, cmd) {
			t.Errorf("round trip of %s: got %#v (%v), want %#v", cmd.CommandType(), got, err, cmd)
		}
	}
	m, _ := codec.Encode(registrations.ReservationTimeout{OrderID: order, At: at}, corr, cause)
	if !m.NotBefore.Equal(at) {
		t.Errorf("timeout not before: got %s, want %s", m.NotBefore, at)
	}
}

func TestUnknownCommandTypeIsAnError(t *testing.T) {
	_, err := NewCommandCodec().Decode(eventstore.Message{ID: uuid.New(), Kind: eventstore.KindCommand, Type: "x.Unheard", Data: []byte(`{}`)})
	if !errors.Is(err, ErrUnknownCommand) {
		t.Fatalf("got %v, want ErrUnknownCommand", err)
	}
}
