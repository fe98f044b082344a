package mail_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/mail"
	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/backendtest"
	"conference/shared/ids"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// confirm appends an OrderConfirmed to the log and returns its event id.
func confirm(t *testing.T, s eventstore.Store, reg *eventsourcing.Registry, conference uuid.UUID) uuid.UUID {
	t.Helper()
	order := ids.New()
	name, schema, data, err := reg.Encode(registrations.OrderConfirmed{OrderID: order, ConferenceID: conference, ConfirmedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	id := ids.New()
	if _, err := s.Append(context.Background(), eventstore.Stream{ID: registrations.OrderStreamID(order), Type: "registrations.Order"},
		eventstore.AnyVersion, []eventstore.Event{{EventID: id, Type: name, Schema: schema, Data: data}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// mailRequests reads the mail commands of the outbox.
func mailRequests(t *testing.T, s sqldb.Store) []eventstore.LoggedMessage {
	t.Helper()
	list, _, err := s.ReadMessages(context.Background(), 0, 100, mail.CommandType)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestNoticesAskOnceForTheMailsOfNewEventsOnly starts the follower on a
// log with history: the orders confirmed before it existed get no mail.
// An order confirmed afterwards gets one request, whose id derives from
// its event; following the log again from the start asks for nothing new.
func TestNoticesAskOnceForTheMailsOfNewEventsOnly(t *testing.T) {
	ctx := context.Background()
	s := backendtest.Open(t, backendtest.Options{Components: []migrations.Component{mail.Schema}})
	reg := eventsourcing.NewRegistry()
	registrations.RegisterEvents(reg)
	conference := ids.New()
	confirm(t, s, reg, conference)
	confirm(t, s, reg, conference)

	n := mail.NewNotices(s, nil)
	if err := n.StartAtHead(ctx); err != nil {
		t.Fatal(err)
	}
	if read, err := n.Step(ctx); err != nil || read != 0 {
		t.Fatalf("step over history: read %d, %v; want nothing", read, err)
	}
	cause := confirm(t, s, reg, conference)
	if read, err := n.Step(ctx); err != nil || read != 1 {
		t.Fatalf("step: read %d, %v", read, err)
	}
	got := mailRequests(t, s)
	want, err := mail.NewMessage(cause, mail.Request{Kind: mail.OrderConfirmed})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Message.ID != want.ID {
		t.Fatalf("requests %+v, want one with id %s", got, want.ID)
	}
	req, err := mail.DecodeRequest(got[0].Message)
	if err != nil || req.Kind != mail.OrderConfirmed || req.ConferenceID != conference {
		t.Fatalf("request %+v, %v", req, err)
	}

	// A follower replaying the whole log (its checkpoint lost, or a
	// replica taking over from an older one) writes the same ids again.
	if err := s.Write(ctx, func(tx sqldb.Tx) error { return sqldb.SaveCheckpoint(ctx, tx, mail.NoticesCheckpoint, 0) }); err != nil {
		t.Fatal(err)
	}
	again := mail.NewNotices(s, nil)
	for {
		read, err := again.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if read == 0 {
			break
		}
	}
	if n := len(mailRequests(t, s)); n != 3 {
		t.Fatalf("%d requests after replaying every confirmation, want 3 (one each, the new one not twice)", n)
	}
}
