// Package kiosktest builds kiosk fixtures for tests and benchmarks: a
// paired kiosk database, and a stand-in hub that appends hub events to it
// as replicated events (origin "hub"), the way the sync client will. The
// hub's events are made by the real aggregates, so they obey the rules.
package kiosktest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/badges/token"
	"conference/hub/conferences"
	"conference/kiosk"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/hlc"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// PIN is the staff PIN of paired fixtures.
const PIN = "2468"

// Keys are a hub's signing key and a kiosk's certified key.
type Keys struct {
	Hub   ed25519.PrivateKey
	Kiosk ed25519.PrivateKey
	Cert  token.Certificate
}

// NewKeys makes a hub key and certifies a kiosk key for kioskID.
func NewKeys(kioskID string, now time.Time) (Keys, error) {
	_, hub, err := ed25519.GenerateKey(nil)
	if err != nil {
		return Keys{}, err
	}
	_, kk, err := ed25519.GenerateKey(nil)
	if err != nil {
		return Keys{}, err
	}
	cert, err := token.IssueCertificate(hub, kioskID, kk.Public().(ed25519.PublicKey), now.Add(-time.Hour), now.Add(30*24*time.Hour))
	if err != nil {
		return Keys{}, err
	}
	return Keys{Hub: hub, Kiosk: kk, Cert: cert}, nil
}

// Pair writes a kiosk identity (with PIN) into the database at path, as
// `kiosk pair` will, and closes it.
func Pair(ctx context.Context, path, kioskID string, conference uuid.UUID, keys Keys) error {
	k, err := kiosk.Open(ctx, kiosk.Config{Path: path})
	if err != nil {
		return err
	}
	defer k.Close()
	hash, err := kiosk.HashPIN(PIN)
	if err != nil {
		return err
	}
	cert := keys.Cert
	return k.SaveIdentity(ctx, kiosk.Identity{
		KioskID: kioskID, HubURL: "http://hub.invalid", Conferences: []uuid.UUID{conference},
		Credential: "test-credential", PINHash: hash, SigningKey: keys.Kiosk, Certificate: &cert,
		HubPublicKey: keys.Hub.Public().(ed25519.PublicKey),
	})
}

// Hub appends hub-made events to a kiosk's store as replicated events.
type Hub struct {
	Store eventstore.Store
	Codec *eventsourcing.Registry
	Now   time.Time
	seq   int64
	clock *hlc.Clock
	avail map[uuid.UUID]*registrations.SeatsAvailability
}

// NewHub returns a hub feeding store, continuing after lastSeq (0 for a
// fresh kiosk).
func NewHub(store eventstore.Store, lastSeq int64) *Hub {
	h := &Hub{Store: store, Codec: kiosk.NewCodec(), Now: time.Now().UTC().Add(-24 * time.Hour),
		seq: lastSeq, avail: map[uuid.UUID]*registrations.SeatsAvailability{}}
	h.clock = hlc.NewClock(func() time.Time { return h.Now })
	return h
}

// Seq is the last hub origin_seq appended.
func (h *Hub) Seq() int64 { return h.seq }

// Append appends events to a stream as the hub recorded them.
func (h *Hub) Append(ctx context.Context, streamID, streamType string, events ...eventsourcing.Event) error {
	envs := make([]eventstore.Event, 0, len(events))
	for _, e := range events {
		name, schema, data, err := h.Codec.Encode(e)
		if err != nil {
			return err
		}
		envs = append(envs, h.envelope(name, schema, data))
	}
	return h.commit(ctx, streamID, streamType, envs)
}

// AppendIntegration appends a Conference Management integration event
// (conferences.*) the way the hub relays them to kiosks.
func (h *Hub) AppendIntegration(ctx context.Context, streamID string, e conferences.Event) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return h.commit(ctx, streamID, "conferences.Conference", []eventstore.Event{h.envelope(e.EventType(), 1, data)})
}

func (h *Hub) envelope(name string, schema int, data []byte) eventstore.Event {
	h.seq++
	return eventstore.Event{EventID: ids.New(), Type: name, Schema: schema, Data: data, Origin: "hub", OriginSeq: h.seq, HLC: h.clock.Now()}
}

func (h *Hub) commit(ctx context.Context, streamID, streamType string, envs []eventstore.Event) error {
	if _, err := h.Store.Append(ctx, eventstore.Stream{ID: streamID, Type: streamType}, eventstore.AnyVersion, envs); err != nil {
		h.seq -= int64(len(envs))
		return fmt.Errorf("hub append to %s: %w", streamID, err)
	}
	return nil
}

// Conference publishes a conference's details (time zone UTC).
func (h *Hub) Conference(ctx context.Context, id uuid.UUID, name string) error {
	return h.ConferenceIn(ctx, id, name, "")
}

// ConferenceIn publishes a conference's details with its IANA time zone.
func (h *Hub) ConferenceIn(ctx context.Context, id uuid.UUID, name, timeZone string) error {
	return h.AppendIntegration(ctx, "conference-"+id.String(), conferences.ConferenceCreated{ConferenceInfo: conferences.ConferenceInfo{
		ConferenceID: id, Name: name, Slug: "conf", Currency: "EUR", Published: true, TimeZone: timeZone}})
}

// NameKiosk records the name the organizer gave a kiosk, as the hub does.
func (h *Hub) NameKiosk(ctx context.Context, conf uuid.UUID, kioskID, name string) error {
	e, err := onsite.NameKiosk(conf, kioskID, name, h.Now)
	if err != nil {
		return err
	}
	return h.Append(ctx, onsite.KioskStreamID(kioskID), onsite.KioskStreamType, e)
}

// SeatType publishes a seat type and adds it to availability with quota.
func (h *Hub) SeatType(ctx context.Context, conf, id uuid.UUID, name string, cents int64, quota int, policy conferences.OnSitePolicy) error {
	err := h.AppendIntegration(ctx, "conference-"+conf.String(), conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{
		ConferenceID: conf, SeatType: id, Name: name, Price: registrations.NewMoney(cents, "EUR"), Quota: quota, OnSite: policy}})
	if err != nil {
		return err
	}
	return h.availability(ctx, conf, func(a *registrations.SeatsAvailability) error { return a.AddSeatType(conf, id, quota) })
}

// Grant leases n seats of a seat type to a kiosk.
func (h *Hub) Grant(ctx context.Context, conf uuid.UUID, kioskID string, seatType uuid.UUID, n int) error {
	return h.availability(ctx, conf, func(a *registrations.SeatsAvailability) error { return a.GrantAllocation(kioskID, seatType, n) })
}

// RecordOnSiteSale is the hub applying a kiosk's uploaded walk-up sale.
func (h *Hub) RecordOnSiteSale(ctx context.Context, conf uuid.UUID, kioskID string, orderID uuid.UUID, seats registrations.Seats) error {
	return h.availability(ctx, conf, func(a *registrations.SeatsAvailability) error { return a.RecordOnSiteSale(kioskID, orderID, seats) })
}

func (h *Hub) availability(ctx context.Context, conf uuid.UUID, decide func(*registrations.SeatsAvailability) error) error {
	a, ok := h.avail[conf]
	if !ok {
		a = registrations.NewSeatsAvailability()
		h.avail[conf] = a
	}
	before := len(eventsourcing.Changes(a))
	if err := decide(a); err != nil {
		return err
	}
	return h.Append(ctx, registrations.AvailabilityStreamID(conf), a.StreamType(), eventsourcing.Changes(a)[before:]...)
}

// Order is a confirmed online order and its named attendees.
type Order struct {
	ID         uuid.UUID
	AccessCode string
	Attendees  []registrations.Attendee // one per seat; zero values stay unassigned
}

// ConfirmedOrder places, reserves, names and confirms an order for one seat
// per attendee of seatType, then assigns the attendees. It does not touch
// availability (the kiosk never sells these seats).
func (h *Hub) ConfirmedOrder(ctx context.Context, conf, seatType uuid.UUID, registrant registrations.Attendee, attendees []registrations.Attendee) (Order, error) {
	o := Order{ID: ids.New(), AccessCode: ids.NewAccessCode(), Attendees: attendees}
	seats := registrations.Seats{{SeatType: seatType, Quantity: len(attendees)}}
	order := registrations.NewOrder()
	price := registrations.PricingInput{Prices: []registrations.SeatPrice{{SeatType: seatType, Price: registrations.NewMoney(10000, "EUR")}}}
	if err := order.Place(registrations.PlaceOrder{OrderID: o.ID, ConferenceID: conf, Seats: seats, Pricing: price, AccessCode: o.AccessCode}, h.Now); err != nil {
		return o, err
	}
	if err := order.MarkSeatsReserved(seats, h.Now.Add(15*time.Minute)); err != nil {
		return o, err
	}
	if err := order.SetRegistrant(registrant.Name, registrant.Email); err != nil {
		return o, err
	}
	if err := order.Confirm(h.Now); err != nil {
		return o, err
	}
	if err := h.Append(ctx, order.ID(), order.StreamType(), eventsourcing.Changes(order)...); err != nil {
		return o, err
	}
	as := registrations.NewSeatAssignments()
	if err := as.Create(o.ID, conf, seats); err != nil {
		return o, err
	}
	for i, a := range attendees {
		if a.IsZero() {
			continue
		}
		if err := as.AssignSeat(i, a); err != nil {
			return o, err
		}
	}
	return o, h.Append(ctx, as.ID(), as.StreamType(), eventsourcing.Changes(as)...)
}

// Cancel cancels a confirmed order at the hub.
func (h *Hub) Cancel(ctx context.Context, orderID, conf uuid.UUID) error {
	return h.Append(ctx, registrations.OrderStreamID(orderID), "registrations.Order",
		registrations.OrderCancelled{OrderID: orderID, ConferenceID: conf, WasConfirmed: true, Reason: "test", CancelledAt: h.Now})
}

// Reassign gives an order's seat to someone else at the hub.
func (h *Hub) Reassign(ctx context.Context, orderID uuid.UUID, position int, seatType uuid.UUID, from, to registrations.Attendee) error {
	return h.Append(ctx, registrations.AssignmentsStreamID(orderID), "registrations.SeatAssignments",
		registrations.SeatUnassigned{OrderID: orderID, Position: position, SeatType: seatType, Previous: from},
		registrations.SeatAssigned{OrderID: orderID, Position: position, SeatType: seatType, Attendee: to})
}
