package registrations

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

var (
	entry1 = uuid.MustParse("00000000-0000-0000-0000-0000000000e1")
	entry2 = uuid.MustParse("00000000-0000-0000-0000-0000000000e2")
	entry3 = uuid.MustParse("00000000-0000-0000-0000-0000000000e3")
	window = 30 * time.Minute
)

func joined(id uuid.UUID, email string, n int) WaitlistJoined {
	return WaitlistJoined{ConferenceID: conference, EntryID: id, SeatType: workshop, Quantity: n, Name: "Someone", Email: email, JoinedAt: t0}
}

func offered(id uuid.UUID, n int, at time.Time) WaitlistOfferMade {
	return WaitlistOfferMade{ConferenceID: conference, EntryID: id, SeatType: workshop, Quantity: n, Window: window, OfferedAt: at, ExpiresAt: at.Add(window)}
}

func givenWaitlist(events ...eventsourcing.Event) *Waitlist {
	w := NewWaitlist()
	eventsourcing.Replay(w, WaitlistStreamID(conference), 0, events...)
	return w
}

func TestJoinTheWaitlist(t *testing.T) {
	w := NewWaitlist()
	must(t, w.Join(conference, entry1, "Someone", "a@example.org", workshop, 2, t0))
	thenEvents(t, w, joined(entry1, "a@example.org", 2))
	if w.ID() != "waitlist-"+conference.String() {
		t.Errorf("stream id %q", w.ID())
	}
}

func TestTheSameEmailCannotWaitTwiceForOneSeatType(t *testing.T) {
	w := givenWaitlist(joined(entry1, "a@example.org", 1))
	thenError(t, w, w.Join(conference, entry2, "A", "A@example.org", workshop, 1, t0), ErrAlreadyWaiting)
	// A retried join with the same entry id is not a duplicate.
	must(t, w.Join(conference, entry1, "Someone", "a@example.org", workshop, 1, t0))
	thenEvents(t, w)
	// Another seat type is another line.
	must(t, w.Join(conference, entry2, "A", "a@example.org", fullPass, 1, t0))
	empty := NewWaitlist()
	thenInvalid(t, empty, empty.Join(conference, entry3, "", "c@example.org", workshop, 1, t0))
}

func TestSeatsThatComeBackAreOfferedToTheNextInLine(t *testing.T) {
	w := givenWaitlist(joined(entry1, "a@example.org", 2), joined(entry2, "b@example.org", 1), joined(entry3, "c@example.org", 1))
	left, err := w.OfferSeats(workshop, 3, window, t0)
	must(t, err)
	thenEvents(t, w, offered(entry1, 2, t0), offered(entry2, 1, t0))
	if left != 0 || len(w.Waiting(workshop)) != 1 {
		t.Fatalf("left %d, still waiting %d", left, len(w.Waiting(workshop)))
	}
}

func TestSeatsNobodyWaitsForAreReturned(t *testing.T) {
	w := givenWaitlist(joined(entry1, "a@example.org", 1))
	left, err := w.OfferSeats(workshop, 3, window, t0)
	must(t, err)
	if left != 2 {
		t.Fatalf("left = %d, want 2", left)
	}
}

func TestAcceptAnOfferInTime(t *testing.T) {
	w := givenWaitlist(joined(entry1, "a@example.org", 2), offered(entry1, 2, t0))
	must(t, w.AcceptOffer(entry1, t0.Add(time.Minute)))
	thenEvents(t, w, WaitlistOfferAccepted{ConferenceID: conference, EntryID: entry1, SeatType: workshop, Quantity: 2, AcceptedAt: t0.Add(time.Minute)})

	w = givenWaitlist(joined(entry1, "a@example.org", 2), offered(entry1, 2, t0))
	thenError(t, w, w.AcceptOffer(entry1, t0.Add(window)), ErrOfferExpired)

	w = givenWaitlist(joined(entry1, "a@example.org", 2))
	thenError(t, w, w.AcceptOffer(entry1, t0), ErrNoOpenOffer)
	thenError(t, w, w.AcceptOffer(entry2, t0), ErrWaitlistEntryNotFound)
}

func TestALapsedOfferPassesToTheNextInLine(t *testing.T) {
	w := givenWaitlist(joined(entry1, "a@example.org", 1), joined(entry2, "b@example.org", 1), offered(entry1, 1, t0))
	later := t0.Add(window)
	left := w.ExpireOffers(later)
	thenEvents(t, w,
		WaitlistOfferExpired{ConferenceID: conference, EntryID: entry1, SeatType: workshop, Quantity: 1, ExpiredAt: later},
		offered(entry2, 1, later))
	if left != nil {
		t.Fatalf("seats left over: %v", left)
	}
	if e, _ := w.Entry(entry1); e.Status != WaitlistLapsed {
		t.Fatalf("entry 1 is %q", e.Status)
	}
}

func TestALapsedOfferWithNobodyLeftReturnsTheSeats(t *testing.T) {
	w := givenWaitlist(joined(entry1, "a@example.org", 2), offered(entry1, 2, t0))
	if left := w.ExpireOffers(t0.Add(time.Minute)); left != nil || len(eventsourcing.Changes(w)) != 0 {
		t.Fatalf("an offer expired early: left %v", left)
	}
	if left := w.ExpireOffers(t0.Add(window)); !left.Equal(seats(workshop, 2)) {
		t.Fatalf("left = %v, want 2 workshop seats", left)
	}
}

func TestLeavingWithAnOfferPassesItOn(t *testing.T) {
	w := givenWaitlist(joined(entry1, "a@example.org", 1), joined(entry2, "b@example.org", 1), offered(entry1, 1, t0))
	left, err := w.Leave(entry1, t0.Add(time.Minute))
	must(t, err)
	thenEvents(t, w,
		WaitlistLeft{ConferenceID: conference, EntryID: entry1, SeatType: workshop, LeftAt: t0.Add(time.Minute)},
		offered(entry2, 1, t0.Add(time.Minute)))
	if left != 0 {
		t.Fatalf("left %d", left)
	}
	// Having left, the same person may join again.
	must(t, w.Join(conference, entry3, "A", "a@example.org", workshop, 1, t0))
}

func TestAnOfferIsOpenUntilItsDeadlineThenTakenOrPassed(t *testing.T) {
	deadline := t0.Add(window)
	for _, c := range []struct {
		name  string
		given []eventsourcing.Event
		at    time.Time
		want  OfferState
	}{
		{"waiting", nil, t0, OfferNone},
		{"offered", []eventsourcing.Event{offered(entry1, 2, t0)}, deadline.Add(-time.Millisecond), OfferOpen},
		{"offered, deadline reached but not yet lapsed", []eventsourcing.Event{offered(entry1, 2, t0)}, deadline, OfferPassed},
		{"taken", []eventsourcing.Event{offered(entry1, 2, t0),
			WaitlistOfferAccepted{ConferenceID: conference, EntryID: entry1, SeatType: workshop, Quantity: 2, AcceptedAt: t0}}, deadline.Add(time.Hour), OfferTaken},
		{"lapsed", []eventsourcing.Event{offered(entry1, 2, t0),
			WaitlistOfferExpired{ConferenceID: conference, EntryID: entry1, SeatType: workshop, Quantity: 2, ExpiredAt: deadline}}, deadline, OfferPassed},
		{"declined", []eventsourcing.Event{offered(entry1, 2, t0),
			WaitlistLeft{ConferenceID: conference, EntryID: entry1, SeatType: workshop, LeftAt: t0}}, t0, OfferPassed},
		{"left before any offer", []eventsourcing.Event{
			WaitlistLeft{ConferenceID: conference, EntryID: entry1, SeatType: workshop, LeftAt: t0}}, t0, OfferNone},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := givenWaitlist(append([]eventsourcing.Event{joined(entry1, "a@example.org", 2)}, c.given...)...)
			e, _ := w.Entry(entry1)
			if got := e.Offer(c.at); got != c.want {
				t.Fatalf("offer is %q, want %q", got, c.want)
			}
		})
	}
}
