package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/registrations"
)

// workers append concurrently, each for its own conference, so the store's
// group writer batches their appends the way it does under real load.
const workers = 32

type generator struct {
	store    *sqlitestore.Store
	registry *eventsourcing.Registry
	budget   atomic.Int64 // events still to write
}

// generate writes about n events and returns the conference ids.
func generate(ctx context.Context, store *sqlitestore.Store, n int) ([]uuid.UUID, error) {
	g := &generator{store: store, registry: eventsourcing.NewRegistry()}
	registrations.RegisterEvents(g.registry)
	g.budget.Store(int64(n))
	confs := make([]uuid.UUID, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		confs[w] = ids.New()
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = g.conference(ctx, w, confs[w])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return confs, nil
}

// batch collects one stream's events (and outbox messages) for one Commit.
type batch struct {
	stream string
	events []eventsourcing.Event
	outbox []eventstore.Message
}

func (g *generator) commit(ctx context.Context, batches ...batch) error {
	for _, b := range batches {
		var evs []eventstore.Event
		for _, e := range b.events {
			name, schema, data, err := g.registry.Encode(e)
			if err != nil {
				return err
			}
			evs = append(evs, eventstore.Event{EventID: ids.New(), StreamID: b.stream, StreamType: "bench", Type: name, Schema: schema, Data: data})
		}
		if _, err := g.store.Commit(ctx, eventstore.Batch{Stream: eventstore.Stream{ID: b.stream, Type: "bench"},
			ExpectedVersion: eventstore.AnyVersion, Events: evs, Outbox: b.outbox}); err != nil {
			return fmt.Errorf("append to %s: %w", b.stream, err)
		}
		g.budget.Add(-int64(len(evs)))
	}
	return nil
}

func message(e conferences.Event) eventstore.Message {
	data, _ := json.Marshal(e)
	return eventstore.Message{ID: ids.New(), Kind: eventstore.KindEvent, Type: e.EventType(), Data: data}
}

func command(typ string, orderID uuid.UUID) eventstore.Message {
	return eventstore.Message{ID: ids.New(), Kind: eventstore.KindCommand, Type: typ,
		Data: []byte(`{"order_id":"` + orderID.String() + `"}`), CorrelationID: orderID}
}

// conference publishes one conference with three seat types, then sells
// its seats until the event budget is spent.
func (g *generator) conference(ctx context.Context, w int, conf uuid.UUID) error {
	start := time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC)
	full, ws, social := ids.New(), ids.New(), ids.New()
	info := conferences.ConferenceInfo{ConferenceID: conf, OrganizerID: ids.New(), Slug: fmt.Sprintf("bench-%d", w), Name: fmt.Sprintf("Bench %d", w),
		Venue: "Centro", TimeZone: "Europe/Lisbon", StartsAt: start, EndsAt: start.Add(48 * time.Hour), ReservationWindowMinutes: 15, Currency: "EUR"}
	prices := map[uuid.UUID]registrations.Money{full: registrations.NewMoney(30000, "EUR"), ws: registrations.NewMoney(9000, "EUR"), social: registrations.NewMoney(0, "EUR")}
	msgs := []eventstore.Message{message(conferences.ConferenceCreated{ConferenceInfo: info})}
	names := map[uuid.UUID]string{full: "Full pass", ws: "Workshop", social: "Social"}
	for _, st := range []uuid.UUID{full, ws, social} {
		msgs = append(msgs, message(conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: conf, SeatType: st,
			Name: names[st], Price: prices[st], Quota: 1_000_000}}))
	}
	msgs = append(msgs, message(conferences.ConferencePublished{ConferenceID: conf, Slug: info.Slug}))
	avail := registrations.AvailabilityStreamID(conf)
	if err := g.commit(ctx, batch{stream: avail, outbox: msgs, events: []eventsourcing.Event{
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: full, Quota: 1_000_000},
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: ws, Quota: 1_000_000},
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: social, Quota: 1_000_000},
	}}); err != nil {
		return err
	}
	promo := registrations.PromoCode{Code: "EARLY", Kind: registrations.DiscountPercentage, Percent: 20}
	now := start.Add(-30 * 24 * time.Hour)
	for i := 0; g.budget.Load() > 0; i++ {
		now = now.Add(time.Second)
		o := orderPlan{g: g, conf: conf, id: ids.New(), now: now, avail: avail}
		o.seats = registrations.Seats{{SeatType: full, Quantity: 1 + i%2}, {SeatType: ws, Quantity: i % 3}}.Normalize()
		var p []registrations.SeatPrice
		for t, m := range prices {
			p = append(p, registrations.SeatPrice{SeatType: t, Price: m})
		}
		in := registrations.PricingInput{Prices: p}
		if i%5 == 0 {
			in.Promo = promo
		}
		q, err := registrations.Price(o.seats, in, now)
		if err != nil {
			return err
		}
		o.quote, o.promo = q, in.Promo
		var kind string
		switch i % 20 {
		case 14, 15, 16:
			kind = "expired"
		case 17:
			kind = "partial"
		case 18:
			kind = "cancelled"
		case 19:
			kind = "waitlist"
			if err := g.waitlist(ctx, conf, ws, i, now); err != nil {
				return err
			}
		default:
			kind = "confirmed"
		}
		if err := o.play(ctx, kind); err != nil {
			return err
		}
	}
	return nil
}

type orderPlan struct {
	g          *generator
	conf, id   uuid.UUID
	now        time.Time
	avail      string
	seats      registrations.Seats
	quote      registrations.Quote
	promo      registrations.PromoCode
	accessCode string
}

// play writes one order's life the way the app would: order events, the
// availability's answers, the process's events with its commands, the
// promo use and the seat assignments.
func (o *orderPlan) play(ctx context.Context, kind string) error {
	id, conf, now := o.id, o.conf, o.now
	reserved, q := o.seats, o.quote
	if kind == "partial" {
		reserved = registrations.Seats{{SeatType: o.seats[0].SeatType, Quantity: 1}}
		var err error
		if q, err = registrations.Reprice(reserved, o.quote, o.promo); err != nil {
			return err
		}
	}
	expires := now.Add(15 * time.Minute)
	orderEvents := []eventsourcing.Event{
		registrations.OrderPlaced{OrderID: id, ConferenceID: conf, Seats: o.seats, Quote: o.quote, Promo: o.promo, AccessCode: ids.NewAccessCode(),
			ReservationWindow: 15 * time.Minute, ReservationExpiresAt: expires, PlacedAt: now},
	}
	if kind == "partial" {
		orderEvents = append(orderEvents, registrations.OrderPartiallyReserved{OrderID: id, Requested: o.seats, Seats: reserved, Quote: q, ReservationExpiresAt: expires})
	} else {
		orderEvents = append(orderEvents, registrations.OrderReservationCompleted{OrderID: id, Seats: reserved, Quote: q, ReservationExpiresAt: expires})
	}
	orderEvents = append(orderEvents, registrations.OrderRegistrantAssigned{OrderID: id, Name: "Registrant " + id.String()[:8], Email: id.String()[:8] + "@example.org"})
	availEvents := []eventsourcing.Event{registrations.SeatsReserved{ConferenceID: conf, ReservationID: id, Requested: o.seats, Reserved: reserved}}
	process := []eventsourcing.Event{
		registrations.RegistrationStarted{MessageID: ids.New(), OrderID: id, ConferenceID: conf, Seats: o.seats, Quote: o.quote, Promo: o.promo, Window: 15 * time.Minute, ExpiresAt: expires},
		registrations.RegistrationSeatsReserved{MessageID: ids.New(), Seats: reserved, AmountDue: q.Total},
	}
	commands := []eventstore.Message{command("registrations.MakeSeatReservation", id), command("registrations.MarkSeatsAsReserved", id),
		command("registrations.InitiatePayment", id)}
	var batches []batch
	switch kind {
	case "expired":
		orderEvents = append(orderEvents, registrations.OrderExpired{OrderID: id, ConferenceID: conf, Seats: reserved, ExpiredAt: expires})
		availEvents = append(availEvents, registrations.SeatReservationCancelled{ConferenceID: conf, ReservationID: id, Seats: reserved})
		process = append(process, registrations.RegistrationExpired{MessageID: ids.New()})
		if !o.promo.IsZero() {
			batches = append(batches, batch{stream: registrations.PromoUsageStreamID(conf, "EARLY"), events: []eventsourcing.Event{
				registrations.PromoCodeRedeemed{ConferenceID: conf, Code: "EARLY", OrderID: id, RedeemedAt: now},
				registrations.PromoCodeReleased{ConferenceID: conf, Code: "EARLY", OrderID: id}}})
		}
	default:
		orderEvents = append(orderEvents, registrations.OrderConfirmed{OrderID: id, ConferenceID: conf, Seats: reserved, Total: q.Total, ConfirmedAt: now.Add(time.Minute)})
		availEvents = append(availEvents, registrations.SeatReservationCommitted{ConferenceID: conf, ReservationID: id, Seats: reserved})
		process = append(process, registrations.RegistrationPaymentReceived{MessageID: ids.New(), PaymentID: ids.New(), Amount: q.Total})
		commands = append(commands, command("registrations.CommitSeatReservation", id), command("registrations.ConfirmOrder", id))
		if !o.promo.IsZero() {
			batches = append(batches, batch{stream: registrations.PromoUsageStreamID(conf, "EARLY"), events: []eventsourcing.Event{
				registrations.PromoCodeRedeemed{ConferenceID: conf, Code: "EARLY", OrderID: id, RedeemedAt: now}}})
		}
		if kind == "cancelled" {
			orderEvents = append(orderEvents, registrations.OrderCancelled{OrderID: id, ConferenceID: conf, Seats: reserved, WasConfirmed: true})
			availEvents = append(availEvents, registrations.SoldSeatsCancelled{ConferenceID: conf, OrderID: id, Seats: reserved})
			process = append(process, registrations.RegistrationCancelled{MessageID: ids.New()})
		} else {
			batches = append(batches, assignments(id, conf, reserved))
		}
	}
	batches = append(batches,
		batch{stream: registrations.OrderStreamID(id), events: orderEvents},
		batch{stream: o.avail, events: availEvents},
		batch{stream: registrations.ProcessStreamID(id), events: process, outbox: commands},
	)
	return o.g.commit(ctx, batches...)
}

func assignments(orderID, conf uuid.UUID, s registrations.Seats) batch {
	var positions []registrations.SeatPosition
	for _, q := range s {
		for range q.Quantity {
			positions = append(positions, registrations.SeatPosition{Position: len(positions), SeatType: q.SeatType})
		}
	}
	evs := []eventsourcing.Event{registrations.SeatAssignmentsCreated{OrderID: orderID, ConferenceID: conf, Positions: positions}}
	for _, p := range positions {
		evs = append(evs, registrations.SeatAssigned{OrderID: orderID, Position: p.Position, SeatType: p.SeatType,
			Attendee: registrations.Attendee{Name: fmt.Sprintf("Attendee %s-%d", orderID.String()[:8], p.Position), Email: fmt.Sprintf("a%d-%s@example.org", p.Position, orderID.String()[:8]), Company: "Acme"}})
	}
	return batch{stream: registrations.AssignmentsStreamID(orderID), events: evs}
}

func (g *generator) waitlist(ctx context.Context, conf, ws uuid.UUID, i int, now time.Time) error {
	entry := ids.New()
	evs := []eventsourcing.Event{
		registrations.WaitlistJoined{ConferenceID: conf, EntryID: entry, SeatType: ws, Quantity: 1, Name: fmt.Sprintf("Waiter %d", i), Email: fmt.Sprintf("w%d@example.org", i), JoinedAt: now},
	}
	if i%40 == 19 {
		evs = append(evs,
			registrations.WaitlistOfferMade{ConferenceID: conf, EntryID: entry, SeatType: ws, Quantity: 1, Window: time.Hour, OfferedAt: now, ExpiresAt: now.Add(time.Hour)},
			registrations.WaitlistOfferAccepted{ConferenceID: conf, EntryID: entry, SeatType: ws, Quantity: 1, AcceptedAt: now})
	}
	return g.commit(ctx, batch{stream: registrations.WaitlistStreamID(conf), events: evs})
}
