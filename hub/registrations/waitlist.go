package registrationsapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/messaging"
	"conference/shared/registrations"
)

// DefaultWaitlistOfferWindow is how long seats offered to someone on the
// waitlist are held for them when Config leaves it unset.
const DefaultWaitlistOfferWindow = 2 * time.Hour

// WaitlistOfferDue is the message the waitlist policy sends itself to fire
// when the offers it made run out: delivered no earlier than At, it lapses
// the offers not taken and passes their seats on.
type WaitlistOfferDue struct {
	ConferenceID uuid.UUID `json:"conference_id"`
	At           time.Time `json:"at"`
}

// CommandType implements registrations.Command.
func (WaitlistOfferDue) CommandType() string { return "registrations.WaitlistOfferDue" }

// NotBefore implements registrations.Delayed.
func (c WaitlistOfferDue) NotBefore() time.Time { return c.At }

// waitlistNamespace derives the waitlist conversation id of a conference.
var waitlistNamespace = uuid.MustParse("3d0f0c5e-9a51-4c7e-8a07-5f2a4d9c1b66")

// WaitlistConversation is the correlation id of the seat holds the waitlist
// policy makes for a conference. The process manager leaves reservations
// carrying it alone: they hold seats for a waitlist offer, not for an order.
func WaitlistConversation(conferenceID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(waitlistNamespace, conferenceID[:])
}

// JoinWaitlist puts a registrant in line for quantity seats of a seat type
// the conference sells, and returns the entry id. The line is for seat
// types with none left to order: while some are, joining is refused with
// registrations.ErrSeatsOnSale (checked after the registrant's details, so
// bad input is reported first). When seats come back the policy offers
// them, holding the seats until the offer lapses; the registrant takes
// them with AcceptWaitlistOffer.
//
// The entry id is the secret of the offer link mailed to the registrant:
// adapters must not show it to anyone but the hub's organizers.
func (r *Registrations) JoinWaitlist(ctx context.Context, conferenceID, seatType uuid.UUID, quantity int, name, email string) (uuid.UUID, error) {
	offer, err := r.app.catalog.Offer(ctx, conferenceID)
	if err != nil {
		return uuid.Nil, wrap(err, "join waitlist of conference %s", conferenceID)
	}
	sold := false
	for _, p := range offer.Prices {
		sold = sold || p.SeatType == seatType
	}
	if !sold {
		return uuid.Nil, fmt.Errorf("join waitlist: seat type %s: %w", seatType, registrations.ErrUnknownSeatType)
	}
	entryID := ids.New()
	err = r.app.waitlists.Update(ctx, registrations.WaitlistStreamID(conferenceID), eventsourcing.Metadata{CorrelationID: WaitlistConversation(conferenceID)},
		func(w *registrations.Waitlist) error {
			if err := w.Join(conferenceID, entryID, name, email, seatType, quantity, r.app.now()); err != nil {
				return err
			}
			return r.app.seatsLeft.read(ctx, registrations.AvailabilityStreamID(conferenceID), func(a *registrations.SeatsAvailability) error {
				if left := a.Remaining(seatType); left > 0 {
					return fmt.Errorf("%d left: %w", left, registrations.ErrSeatsOnSale)
				}
				return nil
			})
		})
	if err != nil {
		return uuid.Nil, wrap(err, "join waitlist of conference %s", conferenceID)
	}
	return entryID, nil
}

// WaitlistOfferWindow is how long an offer holds its seats.
func (r *Registrations) WaitlistOfferWindow() time.Duration { return r.app.offerWindow }

// LeaveWaitlist takes an entry out of the line; seats it was offered pass
// to the next in line (declining an offer is leaving with it).
func (r *Registrations) LeaveWaitlist(ctx context.Context, conferenceID, entryID uuid.UUID) error {
	err := r.app.waitlists.UpdateWith(ctx, registrations.WaitlistStreamID(conferenceID), func(w *registrations.Waitlist) (eventsourcing.Metadata, error) {
		if w.Version() == 0 {
			return eventsourcing.Metadata{}, fmt.Errorf("entry %s: %w", entryID, registrations.ErrWaitlistEntryNotFound)
		}
		if _, err := w.Leave(entryID, r.app.now()); err != nil {
			return eventsourcing.Metadata{}, err
		}
		return r.app.holdMetadata(conferenceID, w, nil)
	})
	return wrap(err, "leave waitlist of conference %s", conferenceID)
}

// WaitlistOffer is what the link of an offer mail shows: the entry, with
// the seats offered and until when, and where its offer stands now.
type WaitlistOffer struct {
	registrations.WaitlistEntry
	State registrations.OfferState
}

// WaitlistOffer returns the offer made to a waitlist entry, read from the
// waitlist's stream. An unknown entry, and one offered nothing (yet),
// answer registrations.ErrWaitlistEntryNotFound: there is no offer to show.
func (r *Registrations) WaitlistOffer(ctx context.Context, conferenceID, entryID uuid.UUID) (WaitlistOffer, error) {
	w, err := r.Waitlist(ctx, conferenceID)
	if err != nil {
		return WaitlistOffer{}, err
	}
	e, ok := w.Entry(entryID)
	if !ok {
		return WaitlistOffer{}, fmt.Errorf("entry %s: %w", entryID, registrations.ErrWaitlistEntryNotFound)
	}
	state := e.Offer(r.app.now())
	if state == registrations.OfferNone {
		return WaitlistOffer{}, fmt.Errorf("entry %s has no offer: %w", entryID, registrations.ErrWaitlistEntryNotFound)
	}
	return WaitlistOffer{WaitlistEntry: e, State: state}, nil
}

// AcceptWaitlistOffer takes up an open offer: the entry's seats are placed
// as an order whose id is the entry id, so its reservation takes over the
// seats held for the offer, in the name and email of the entry. Accepting
// again, here or on another replica at the same moment, returns the same
// order; so does accepting again after a crash between the acceptance and
// the order, which places the order then.
func (r *Registrations) AcceptWaitlistOffer(ctx context.Context, conferenceID, entryID uuid.UUID) (PlacedOrder, error) {
	var entry registrations.WaitlistEntry
	err := r.app.waitlists.Update(ctx, registrations.WaitlistStreamID(conferenceID), eventsourcing.Metadata{CorrelationID: entryID},
		func(w *registrations.Waitlist) error {
			if err := w.AcceptOffer(entryID, r.app.now()); err != nil {
				return err
			}
			entry, _ = w.Entry(entryID)
			return nil
		})
	if err != nil {
		return PlacedOrder{}, wrap(err, "accept waitlist offer %s", entryID)
	}
	placed := PlacedOrder{OrderID: entryID, AccessCode: ids.NewAccessCode()}
	if o, err := r.GetOrder(ctx, entryID); err == nil {
		placed.AccessCode = o.AccessCode // taken before: the same order
	} else if !errors.Is(err, registrations.ErrOrderNotPlaced) {
		return PlacedOrder{}, wrap(err, "accept waitlist offer %s", entryID)
	} else if err := r.placeOrder(ctx, conferenceID, placed, registrations.Seats{{SeatType: entry.SeatType, Quantity: entry.OfferedSeats}}, "", r.app.now()); err != nil {
		// A take at the same moment placed it first (the order exists),
		// or this one failed.
		o, gerr := r.GetOrder(ctx, entryID)
		if gerr != nil {
			return PlacedOrder{}, wrap(err, "accept waitlist offer %s", entryID)
		}
		placed.AccessCode = o.AccessCode
	}
	// Whoever placed the order names the registrant; naming them again
	// records nothing, and an order closed since has nobody left to name.
	if err := r.SetRegistrant(ctx, entryID, entry.Name, entry.Email); err != nil && !errors.Is(err, registrations.ErrOrderClosed) {
		return PlacedOrder{}, err
	}
	return placed, nil
}

// Waitlist returns a conference's waitlist; one nobody joined is empty.
func (r *Registrations) Waitlist(ctx context.Context, conferenceID uuid.UUID) (*registrations.Waitlist, error) {
	w, err := r.app.waitlists.Load(ctx, registrations.WaitlistStreamID(conferenceID))
	if errors.Is(err, eventsourcing.ErrNotFound) {
		return registrations.NewWaitlist(), nil
	}
	return w, wrap(err, "get waitlist of conference %s", conferenceID)
}

// reconcileWaitlist offers the conference's free seats to the people
// waiting: offers whose time is up lapse and pass on, and seats no offer
// claims yet go to the front of the line. Each offer's seats are held in
// SeatsAvailability under the entry id by a MakeSeatReservation sent in
// the same batch as the offer (and a lapsed offer's hold is cancelled), so
// an offer and its seats cannot part. Free seats are counted net of
// offers whose hold is still on its way, so a seat is never offered twice.
func (a *App) reconcileWaitlist(ctx context.Context, conferenceID uuid.UUID, processed *eventstore.Processed) error {
	stream := registrations.WaitlistStreamID(conferenceID)
	err := a.waitlists.UpdateWith(ctx, stream, func(w *registrations.Waitlist) (eventsourcing.Metadata, error) {
		if w.Version() == 0 {
			return eventsourcing.Metadata{}, nil // nobody ever waited
		}
		avail, err := a.availability.Load(ctx, registrations.AvailabilityStreamID(conferenceID))
		if errors.Is(err, eventsourcing.ErrNotFound) {
			return eventsourcing.Metadata{}, nil
		}
		if err != nil {
			return eventsourcing.Metadata{}, err
		}
		entries, err := a.waitlistEntries(ctx, stream, w)
		if err != nil {
			return eventsourcing.Metadata{}, err
		}
		now := a.now()
		w.ExpireOffers(now)
		for _, st := range avail.SeatTypes() {
			if len(w.Waiting(st)) == 0 {
				continue
			}
			free := avail.Remaining(st)
			for _, id := range entries {
				e, _ := w.Entry(id)
				if e.Status == registrations.WaitlistOffered && e.SeatType == st {
					held, _ := avail.Reservation(id)
					free -= max(0, e.OfferedSeats-held.Get(st))
				}
			}
			if free > 0 {
				if _, err := w.OfferSeats(st, free, a.offerWindow, now); err != nil {
					return eventsourcing.Metadata{}, err
				}
			}
		}
		if len(eventsourcing.Changes(w)) == 0 {
			return eventsourcing.Metadata{}, nil
		}
		return a.holdMetadata(conferenceID, w, processed)
	})
	return wrap(err, "reconcile waitlist of conference %s", conferenceID)
}

// holdMetadata turns the waitlist's new events into the seat holds they
// need (a hold per offer made, a cancelled hold per offer lapsed or left)
// and a WaitlistOfferDue for the new offers' expiry.
func (a *App) holdMetadata(conferenceID uuid.UUID, w *registrations.Waitlist, processed *eventstore.Processed) (eventsourcing.Metadata, error) {
	var (
		cmds []registrations.Command
		due  time.Time
	)
	for _, ev := range eventsourcing.Changes(w) {
		switch e := ev.(type) {
		case registrations.WaitlistOfferMade:
			cmds = append(cmds, registrations.MakeSeatReservation{ConferenceID: conferenceID, ReservationID: e.EntryID,
				Seats: registrations.Seats{{SeatType: e.SeatType, Quantity: e.Quantity}}})
			if due.IsZero() || e.ExpiresAt.Before(due) {
				due = e.ExpiresAt
			}
		case registrations.WaitlistOfferExpired:
			cmds = append(cmds, registrations.CancelSeatReservation{ConferenceID: conferenceID, ReservationID: e.EntryID})
		case registrations.WaitlistLeft:
			// Only an offered entry holds seats; cancelling no hold is a no-op.
			cmds = append(cmds, registrations.CancelSeatReservation{ConferenceID: conferenceID, ReservationID: e.EntryID})
		}
	}
	if !due.IsZero() {
		cmds = append(cmds, WaitlistOfferDue{ConferenceID: conferenceID, At: due})
	}
	conversation := WaitlistConversation(conferenceID)
	outbox, err := a.commands.EncodeAll(cmds, conversation, conversation)
	if err != nil {
		return eventsourcing.Metadata{}, err
	}
	return eventsourcing.Metadata{CorrelationID: conversation, Outbox: outbox, Processed: processed}, nil
}

// waitlistEntries lists the entry ids of a waitlist in line order, read
// from its stream (the aggregate answers per entry, not for all of them).
func (a *App) waitlistEntries(ctx context.Context, stream string, w *registrations.Waitlist) ([]uuid.UUID, error) {
	evs, err := a.store.ReadStream(ctx, stream, 0)
	if err != nil {
		return nil, err
	}
	joined := registrations.WaitlistJoined{}.EventType()
	var out []uuid.UUID
	for _, e := range evs {
		if e.Type != joined {
			continue
		}
		ev, err := a.events.Decode(e.Type, e.Schema, e.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, ev.(registrations.WaitlistJoined).EntryID)
	}
	return out, nil
}

// onOfferDue lapses the offers whose time is up, with the bus's processed
// mark in the waitlist's batch.
func (a *App) onOfferDue(ctx context.Context, m eventstore.Message) error {
	cmd, err := a.commands.Decode(m)
	if err != nil {
		return err
	}
	due := cmd.(WaitlistOfferDue)
	return a.reconcileWaitlist(ctx, due.ConferenceID, messaging.Processed(ctx))
}
