package registrations

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// Fixed ids and times keep expected events literal and readable.
var (
	t0         = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	conference = uuid.MustParse("00000000-0000-0000-0000-00000000c0f1")
	orderA     = uuid.MustParse("00000000-0000-0000-0000-0000000000a1")
	orderB     = uuid.MustParse("00000000-0000-0000-0000-0000000000b2")
	fullPass   = uuid.MustParse("00000000-0000-0000-0000-000000000f01")
	workshop   = uuid.MustParse("00000000-0000-0000-0000-000000000f02")
	reception  = uuid.MustParse("00000000-0000-0000-0000-000000000f03")
	payment1   = uuid.MustParse("00000000-0000-0000-0000-0000000000d1")
	payment2   = uuid.MustParse("00000000-0000-0000-0000-0000000000d2")
)

func eur(cents int64) Money { return NewMoney(cents, "EUR") }

// prices: full pass 100.00, workshop 40.00, reception free.
var prices = []SeatPrice{
	{SeatType: fullPass, Price: eur(10000)},
	{SeatType: workshop, Price: eur(4000)},
	{SeatType: reception, Price: eur(0)},
}

func seats(pairs ...any) Seats {
	var s Seats
	for i := 0; i < len(pairs); i += 2 {
		s = append(s, SeatQuantity{SeatType: pairs[i].(uuid.UUID), Quantity: pairs[i+1].(int)})
	}
	return s.Normalize()
}

// thenEvents fails unless the aggregate recorded exactly want.
func thenEvents(t *testing.T, a eventsourcing.Aggregate, want ...eventsourcing.Event) {
	t.Helper()
	got := eventsourcing.Changes(a)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("recorded events:\n got  %+v\n want %+v", got, want)
	}
}

// thenError fails unless err matches target and nothing was recorded.
func thenError(t *testing.T, a eventsourcing.Aggregate, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
	if n := len(eventsourcing.Changes(a)); n != 0 {
		t.Fatalf("recorded %d events alongside error %v", n, err)
	}
}

// thenInvalid fails unless err is a domain error with CodeInvalid and
// nothing was recorded.
func thenInvalid(t *testing.T, a eventsourcing.Aggregate, err error) {
	t.Helper()
	if ErrorCode(err) != CodeInvalid {
		t.Fatalf("error = %v (code %q), want an invalid error", err, ErrorCode(err))
	}
	if n := len(eventsourcing.Changes(a)); n != 0 {
		t.Fatalf("recorded %d events alongside error %v", n, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
