package registrations

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// WaitlistJoined records a registrant waiting for seats of a sold-out type.
type WaitlistJoined struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	EntryID      uuid.UUID `json:"entry_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	Quantity     int       `json:"quantity"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	JoinedAt     time.Time `json:"joined_at"`
}

// WaitlistOfferMade records seats offered to an entry until ExpiresAt.
type WaitlistOfferMade struct {
	ConferenceID uuid.UUID     `json:"conference_id"`
	EntryID      uuid.UUID     `json:"entry_id"`
	SeatType     uuid.UUID     `json:"seat_type"`
	Quantity     int           `json:"quantity"`
	Window       time.Duration `json:"window_ns"`
	OfferedAt    time.Time     `json:"offered_at"`
	ExpiresAt    time.Time     `json:"expires_at"`
}

// WaitlistOfferAccepted records an offer taken up in time.
type WaitlistOfferAccepted struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	EntryID      uuid.UUID `json:"entry_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	Quantity     int       `json:"quantity"`
	AcceptedAt   time.Time `json:"accepted_at"`
}

// WaitlistOfferExpired records an offer left to lapse; its seats pass to the
// next in line in the same change.
type WaitlistOfferExpired struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	EntryID      uuid.UUID `json:"entry_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	Quantity     int       `json:"quantity"`
	ExpiredAt    time.Time `json:"expired_at"`
}

// WaitlistLeft records a registrant leaving the line (declining an offer
// included); offered seats pass to the next in line.
type WaitlistLeft struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	EntryID      uuid.UUID `json:"entry_id"`
	SeatType     uuid.UUID `json:"seat_type"`
	LeftAt       time.Time `json:"left_at"`
}

// EventType implements eventsourcing.Event.
func (WaitlistJoined) EventType() string { return "registrations.WaitlistJoined" }

// EventType implements eventsourcing.Event.
func (WaitlistOfferMade) EventType() string { return "registrations.WaitlistOfferMade" }

// EventType implements eventsourcing.Event.
func (WaitlistOfferAccepted) EventType() string { return "registrations.WaitlistOfferAccepted" }

// EventType implements eventsourcing.Event.
func (WaitlistOfferExpired) EventType() string { return "registrations.WaitlistOfferExpired" }

// EventType implements eventsourcing.Event.
func (WaitlistLeft) EventType() string { return "registrations.WaitlistLeft" }

// WaitlistStatus is where an entry is.
type WaitlistStatus string

// Waitlist entry statuses.
const (
	WaitlistWaiting  WaitlistStatus = "waiting"
	WaitlistOffered  WaitlistStatus = "offered"
	WaitlistAccepted WaitlistStatus = "accepted"
	WaitlistLapsed   WaitlistStatus = "lapsed"
	WaitlistGone     WaitlistStatus = "left"
)

// WaitlistEntry is one registrant in line.
type WaitlistEntry struct {
	EntryID        uuid.UUID
	SeatType       uuid.UUID
	Quantity       int
	Name, Email    string
	Status         WaitlistStatus
	OfferedSeats   int
	OfferWindow    time.Duration
	OfferExpiresAt time.Time
}

// OfferState is where an entry's offer stands for the person it was made
// to: what the link in their offer mail answers.
type OfferState string

// Offer states.
const (
	// OfferNone: nothing was offered (still waiting, or left the line
	// before any offer).
	OfferNone OfferState = "none"
	// OfferOpen: the seats are held until OfferExpiresAt; AcceptOffer
	// takes them.
	OfferOpen OfferState = "open"
	// OfferTaken: accepted; the seats became the order whose id is the
	// entry id.
	OfferTaken OfferState = "taken"
	// OfferPassed: not taken in time, or declined; the seats went to the
	// next in line, or back on sale.
	OfferPassed OfferState = "passed"
)

// Offer says where the entry's offer stands at now. An offer whose time is
// up has passed even before ExpireOffers records it, as AcceptOffer
// refuses it from that moment.
func (e WaitlistEntry) Offer(now time.Time) OfferState {
	switch e.Status {
	case WaitlistAccepted:
		return OfferTaken
	case WaitlistOffered:
		if now.Before(e.OfferExpiresAt) {
			return OfferOpen
		}
		return OfferPassed
	case WaitlistLapsed:
		return OfferPassed
	case WaitlistGone:
		if e.OfferedSeats > 0 {
			return OfferPassed // declined: left with seats offered
		}
	}
	return OfferNone
}

func (e WaitlistEntry) active() bool {
	return e.Status == WaitlistWaiting || e.Status == WaitlistOffered
}

// Waitlist is one conference's line of registrants waiting for seats, per
// seat type, first come first served.
//
// An offer is only as good as the seats behind it: the handler that makes
// one first reserves the seats in SeatsAvailability with the entry id as
// reservation id, and when the registrant accepts, places the order with
// OrderID = EntryID so the process's MakeSeatReservation replaces that
// reservation instead of competing with it. Lapsed offers' reservations are
// cancelled by the same handler and re-made for the next entry offered.
type Waitlist struct {
	eventsourcing.Root
	conferenceID uuid.UUID
	entries      []WaitlistEntry
}

// NewWaitlist returns an empty waitlist for the repository.
func NewWaitlist() *Waitlist { return &Waitlist{} }

// StreamType implements eventsourcing.Aggregate.
func (w *Waitlist) StreamType() string { return "registrations.Waitlist" }

// Join puts a registrant at the end of the line for quantity seats of
// seatType. The caller generates entryID; joining again with the same
// entry id records nothing, while a second active entry for the same email
// and seat type is refused.
func (w *Waitlist) Join(conferenceID, entryID uuid.UUID, name, email string, seatType uuid.UUID, quantity int, now time.Time) error {
	if conferenceID == uuid.Nil || entryID == uuid.Nil || seatType == uuid.Nil {
		return invalidf("conference, entry and seat type ids are required")
	}
	if w.conferenceID != uuid.Nil && w.conferenceID != conferenceID {
		return invalidf("waitlist belongs to conference %s", w.conferenceID)
	}
	if quantity <= 0 || quantity > MaxSeatsPerLine {
		return invalidf("quantity must be between 1 and %d", MaxSeatsPerLine)
	}
	name, email, err := validPerson(name, email, true)
	if err != nil {
		return err
	}
	if _, ok := w.find(entryID); ok {
		return nil
	}
	for _, e := range w.entries {
		if e.active() && e.SeatType == seatType && strings.EqualFold(e.Email, email) {
			return fmt.Errorf("%s: %w", email, ErrAlreadyWaiting)
		}
	}
	if w.ID() == "" {
		w.SetID(WaitlistStreamID(conferenceID))
	}
	w.Record(w, WaitlistJoined{ConferenceID: conferenceID, EntryID: entryID, SeatType: seatType, Quantity: quantity, Name: name, Email: email, JoinedAt: now})
	return nil
}

// OfferSeats offers n seats of seatType that came back to the people at the
// front of the line, each for up to the quantity they asked for, until
// window after now. It returns the seats left over when nobody else waits.
func (w *Waitlist) OfferSeats(seatType uuid.UUID, n int, window time.Duration, now time.Time) (int, error) {
	if n < 0 || window <= 0 {
		return n, invalidf("seats cannot be negative and the offer window must be positive")
	}
	return w.offer(seatType, n, window, now), nil
}

func (w *Waitlist) offer(seatType uuid.UUID, n int, window time.Duration, now time.Time) int {
	for i := 0; i < len(w.entries) && n > 0; i++ {
		e := w.entries[i]
		if e.Status != WaitlistWaiting || e.SeatType != seatType {
			continue
		}
		q := min(n, e.Quantity)
		w.Record(w, WaitlistOfferMade{ConferenceID: w.conferenceID, EntryID: e.EntryID, SeatType: seatType, Quantity: q, Window: window, OfferedAt: now, ExpiresAt: now.Add(window)})
		n -= q
	}
	return n
}

// AcceptOffer takes up an open offer before it expires.
func (w *Waitlist) AcceptOffer(entryID uuid.UUID, now time.Time) error {
	e, ok := w.find(entryID)
	switch {
	case !ok:
		return fmt.Errorf("entry %s: %w", entryID, ErrWaitlistEntryNotFound)
	case e.Status == WaitlistAccepted:
		return nil
	case e.Status != WaitlistOffered:
		return fmt.Errorf("entry %s is %s: %w", entryID, e.Status, ErrNoOpenOffer)
	case !now.Before(e.OfferExpiresAt):
		return fmt.Errorf("entry %s: %w", entryID, ErrOfferExpired)
	}
	w.Record(w, WaitlistOfferAccepted{ConferenceID: w.conferenceID, EntryID: entryID, SeatType: e.SeatType, Quantity: e.OfferedSeats, AcceptedAt: now})
	return nil
}

// ExpireOffers lapses every offer whose time is up at now and passes its
// seats to the next in line with the same window. It returns the seats
// per seat type nobody was left to take.
func (w *Waitlist) ExpireOffers(now time.Time) Seats {
	left := map[uuid.UUID]int{}
	for i := 0; i < len(w.entries); i++ {
		e := w.entries[i]
		if e.Status != WaitlistOffered || now.Before(e.OfferExpiresAt) {
			continue
		}
		w.Record(w, WaitlistOfferExpired{ConferenceID: w.conferenceID, EntryID: e.EntryID, SeatType: e.SeatType, Quantity: e.OfferedSeats, ExpiredAt: now})
		left[e.SeatType] += w.offer(e.SeatType, e.OfferedSeats, e.OfferWindow, now)
	}
	return seatsFromMap(left)
}

// Leave takes an entry out of the line. Offered seats pass to the next in
// line; the seats nobody takes are returned.
func (w *Waitlist) Leave(entryID uuid.UUID, now time.Time) (int, error) {
	e, ok := w.find(entryID)
	if !ok {
		return 0, fmt.Errorf("entry %s: %w", entryID, ErrWaitlistEntryNotFound)
	}
	if !e.active() {
		return 0, nil
	}
	w.Record(w, WaitlistLeft{ConferenceID: w.conferenceID, EntryID: entryID, SeatType: e.SeatType, LeftAt: now})
	if e.Status == WaitlistOffered {
		return w.offer(e.SeatType, e.OfferedSeats, e.OfferWindow, now), nil
	}
	return 0, nil
}

func (w *Waitlist) find(entryID uuid.UUID) (WaitlistEntry, bool) {
	for _, e := range w.entries {
		if e.EntryID == entryID {
			return e, true
		}
	}
	return WaitlistEntry{}, false
}

func (w *Waitlist) update(entryID uuid.UUID, f func(*WaitlistEntry)) {
	for i := range w.entries {
		if w.entries[i].EntryID == entryID {
			f(&w.entries[i])
		}
	}
}

// Apply implements eventsourcing.Aggregate.
func (w *Waitlist) Apply(ev eventsourcing.Event) {
	switch e := ev.(type) {
	case WaitlistJoined:
		w.conferenceID = e.ConferenceID
		w.entries = append(w.entries, WaitlistEntry{EntryID: e.EntryID, SeatType: e.SeatType, Quantity: e.Quantity, Name: e.Name, Email: e.Email, Status: WaitlistWaiting})
	case WaitlistOfferMade:
		w.update(e.EntryID, func(x *WaitlistEntry) {
			x.Status, x.OfferedSeats, x.OfferWindow, x.OfferExpiresAt = WaitlistOffered, e.Quantity, e.Window, e.ExpiresAt
		})
	case WaitlistOfferAccepted:
		w.update(e.EntryID, func(x *WaitlistEntry) { x.Status = WaitlistAccepted })
	case WaitlistOfferExpired:
		w.update(e.EntryID, func(x *WaitlistEntry) { x.Status = WaitlistLapsed })
	case WaitlistLeft:
		w.update(e.EntryID, func(x *WaitlistEntry) { x.Status = WaitlistGone })
	}
}

// Entry returns one entry.
func (w *Waitlist) Entry(entryID uuid.UUID) (WaitlistEntry, bool) { return w.find(entryID) }

// Waiting lists the entries still waiting for seatType, in line order.
func (w *Waitlist) Waiting(seatType uuid.UUID) []WaitlistEntry {
	var out []WaitlistEntry
	for _, e := range w.entries {
		if e.Status == WaitlistWaiting && e.SeatType == seatType {
			out = append(out, e)
		}
	}
	return out
}
