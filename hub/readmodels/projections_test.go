package readmodels

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

func TestSeatTypeCountsFollowReservationsSalesAndAllocationsAcrossRestarts(t *testing.T) {
	f := newFixture(t)
	conf, full := uuid.New(), uuid.New()
	avail := registrations.AvailabilityStreamID(conf)
	r1, r2, walkUp := uuid.New(), uuid.New(), uuid.New()

	f.given(avail,
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: full, Quota: 10},
		registrations.SeatsReserved{ConferenceID: conf, ReservationID: r1, Requested: seats(full, 3), Reserved: seats(full, 3)},
		registrations.SeatsReserved{ConferenceID: conf, ReservationID: r2, Requested: seats(full, 4), Reserved: seats(full, 4)},
	)
	f.catchUp()
	wantCounts(t, f.seatType(conf, full), 10, 7, 0, 0, 3)

	// The reservation r1 held must survive a restart: SeatsReserved
	// replaces it, so the projector has to know it held 3.
	f.restart()
	f.given(avail,
		registrations.SeatsReserved{ConferenceID: conf, ReservationID: r1, Requested: seats(full, 3), Reserved: seats(full, 2)},
		registrations.SeatReservationCommitted{ConferenceID: conf, ReservationID: r1, Seats: seats(full, 2)},
		registrations.SeatReservationCancelled{ConferenceID: conf, ReservationID: r2, Seats: seats(full, 4)},
		registrations.SeatAllocationGranted{ConferenceID: conf, KioskID: "k1", SeatType: full, Quantity: 2},
		registrations.OnSiteSeatsSold{ConferenceID: conf, KioskID: "k1", OrderID: walkUp, Seats: seats(full, 2), FromAllocation: seats(full, 1), PastAllocation: seats(full, 1)},
		registrations.SeatQuotaIncreased{ConferenceID: conf, SeatType: full, By: 2, Quota: 12},
	)
	f.catchUp()
	wantCounts(t, f.seatType(conf, full), 12, 0, 4, 1, 7)

	f.given(avail, registrations.SoldSeatsCancelled{ConferenceID: conf, OrderID: r1, Seats: seats(full, 2)})
	f.catchUp()
	wantCounts(t, f.seatType(conf, full), 12, 0, 2, 1, 9)
}

func TestConflictResolutionMovesSoldSeatsAndRaisesQuotas(t *testing.T) {
	f := newFixture(t)
	conf, small, big, order := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	avail := registrations.AvailabilityStreamID(conf)
	f.given(avail,
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: small, Quota: 1},
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: big, Quota: 10},
		registrations.OnSiteSeatsSold{ConferenceID: conf, KioskID: "k", OrderID: order, Seats: seats(small, 3), PastAllocation: seats(small, 3)},
		registrations.SeatQuotaConflictRaised{ConferenceID: conf, Conflict: 1, SeatType: small, Over: 2, OrderIDs: []uuid.UUID{order}, KioskID: "k"},
		registrations.SeatQuotaConflictResolved{ConferenceID: conf, Conflict: 1, SeatType: small, Kind: registrations.ResolveMoveSeats,
			MovedTo: big, Orders: []registrations.OrderSeatChange{{OrderID: order, Quantity: 2}}},
	)
	f.catchUp()
	wantCounts(t, f.seatType(conf, small), 1, 0, 1, 0, 0)
	wantCounts(t, f.seatType(conf, big), 10, 0, 2, 0, 8)
}

func TestSeatTypesAreDescribedByConferenceManagementWhicheverLogComesFirst(t *testing.T) {
	f := newFixture(t)
	conf, workshop, keynote := uuid.New(), uuid.New(), uuid.New()
	// Availability first, descriptions later: the two logs interleave.
	f.given(registrations.AvailabilityStreamID(conf),
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: workshop, Quota: 20},
		registrations.SeatTypeAdded{ConferenceID: conf, SeatType: keynote, Quota: 300})
	f.catchUp()
	if v := f.seatType(conf, workshop); v.Name != "" || v.Remaining != 20 {
		t.Fatalf("undescribed seat type: got %+v", v)
	}

	f.published(
		conferences.ConferenceCreated{ConferenceInfo: conferenceInfo(conf, "gophercon", false)},
		conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: conf, SeatType: keynote, Name: "Keynote", Price: eur(5000), Quota: 300}},
		conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: conf, SeatType: workshop, Name: "Workshop", Price: eur(9000), Quota: 20,
			OnSite: conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 2}}},
		conferences.SeatTypeUpdated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: conf, SeatType: keynote, Name: "Keynote pass", Price: eur(5500), Quota: 300}, PreviousQuota: 300},
	)
	f.catchUp()
	list, err := f.m.SeatTypes(context.Background(), conf)
	f.must(err)
	if len(list) != 2 || list[0].Name != "Keynote pass" || list[0].Price != eur(5500) || list[1].Name != "Workshop" || !list[1].OnSite.SellableAtKiosks {
		t.Fatalf("seat types in creation order with their latest details: got %+v", list)
	}
	wantCounts(t, f.seatType(conf, keynote), 300, 0, 0, 0, 300)

	// The caller owns the slice it got.
	list[0].Remaining = -1
	if again, _ := f.m.SeatTypes(context.Background(), conf); again[0].Remaining != 300 {
		t.Fatalf("changing a returned slice changed the read model")
	}
}

func TestPublishedConferencesFollowPublishingAndEdits(t *testing.T) {
	f := newFixture(t)
	a, b := uuid.New(), uuid.New()
	infoA, infoB := conferenceInfo(a, "alpha", false), conferenceInfo(b, "beta", false)
	infoB.StartsAt = infoA.StartsAt.Add(-24 * time.Hour)
	f.published(
		conferences.ConferenceCreated{ConferenceInfo: infoA},
		conferences.ConferenceCreated{ConferenceInfo: infoB},
		conferences.ConferencePublished{ConferenceID: a, Slug: "alpha"},
		conferences.ConferencePublished{ConferenceID: b, Slug: "beta"},
	)
	f.catchUp()
	list, err := f.m.PublishedConferences(context.Background())
	f.must(err)
	if len(list) != 2 || list[0].ConferenceID != b || list[1].ConferenceID != a {
		t.Fatalf("published conferences soonest first: got %+v", list)
	}

	infoA.Name, infoA.Published = "Alpha renamed", true
	f.published(conferences.ConferenceUpdated{ConferenceInfo: infoA}, conferences.ConferenceUnpublished{ConferenceID: b, Slug: "beta"})
	f.catchUp()
	c, err := f.m.ConferenceBySlug(context.Background(), " ALPHA ")
	f.must(err)
	if c.Name != "Alpha renamed" || c.Venue != "Lisbon" || c.TimeZone != "Europe/Lisbon" || c.Currency != "EUR" ||
		!c.StartsAt.Equal(infoA.StartsAt) || c.ReservationWindow != 15*time.Minute || c.OrganizerID != infoA.OrganizerID {
		t.Fatalf("conference by slug: got %+v", c)
	}
	if _, err := f.m.ConferenceBySlug(context.Background(), "beta"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unpublished conference by slug: got %v, want ErrNotFound", err)
	}
	if c, err := f.m.Conference(context.Background(), b); err != nil || c.Published {
		t.Fatalf("unpublished conference by id: got %+v, %v", c, err)
	}
	if _, err := f.m.Conference(context.Background(), uuid.New()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown conference: got %v, want ErrNotFound", err)
	}
}

func TestOrderDetailsShowPartialReservationPricesAndExpiry(t *testing.T) {
	f := newFixture(t)
	conf, full := uuid.New(), uuid.New()
	f.published(conferences.SeatTypeCreated{SeatTypeInfo: conferences.SeatTypeInfo{ConferenceID: conf, SeatType: full, Name: "Full pass", Price: eur(10000)}})
	id := uuid.New()
	placedAt := time.Date(2027, 1, 2, 10, 0, 0, 0, time.UTC)
	stream := registrations.OrderStreamID(id)
	f.given(stream,
		registrations.OrderPlaced{OrderID: id, ConferenceID: conf, Seats: seats(full, 3), Quote: quote(t, seats(full, 3), eur(10000), registrations.PromoCode{}),
			AccessCode: "K7QM-3XPD", ReservationWindow: 15 * time.Minute, ReservationExpiresAt: placedAt.Add(15 * time.Minute), PlacedAt: placedAt},
	)
	f.catchUp()
	if o := f.order(id); o.Status != registrations.OrderStatusPending || o.Partial || o.Total != eur(30000) {
		t.Fatalf("placed order: got %+v", o)
	}

	expires := placedAt.Add(16 * time.Minute)
	f.given(stream,
		registrations.OrderPartiallyReserved{OrderID: id, Requested: seats(full, 3), Seats: seats(full, 2),
			Quote: quote(t, seats(full, 2), eur(10000), registrations.PromoCode{}), ReservationExpiresAt: expires},
		registrations.OrderRegistrantAssigned{OrderID: id, Name: "Ada Lovelace", Email: "Ada@example.org"},
	)
	f.catchUp()
	o := f.order(id)
	if o.Status != registrations.OrderStatusReserved || !o.Partial || o.Requested.Get(full) != 3 || o.Reserved.Get(full) != 2 {
		t.Fatalf("partially reserved order: got %+v", o)
	}
	if o.Total != eur(20000) || len(o.Lines) != 1 || o.Lines[0].Name != "Full pass" || o.Lines[0].Quantity != 2 || o.Lines[0].UnitPrice != eur(10000) {
		t.Fatalf("priced lines: got total %s lines %+v", o.Total, o.Lines)
	}
	if !o.ExpiresAt.Equal(expires) || !o.PlacedAt.Equal(placedAt) || !o.PaymentPending || o.Name != "Ada Lovelace" {
		t.Fatalf("order details: got %+v", o)
	}

	found, err := f.m.OrderByAccessCode(context.Background(), "k7qm3xpd", "ada@EXAMPLE.org")
	if err != nil || found.OrderID != id {
		t.Fatalf("by access code: got %+v, %v", found, err)
	}
	for _, tc := range [][2]string{{"K7QM-3XPD", "eve@example.org"}, {"K7QM-3XPE", "ada@example.org"}, {"", ""}, {"K7QM-3XPD", ""}} {
		if _, err := f.m.OrderByAccessCode(context.Background(), tc[0], tc[1]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("by access code %q/%q: got %v, want ErrNotFound", tc[0], tc[1], err)
		}
	}

	f.given(stream, registrations.OrderConfirmed{OrderID: id, ConferenceID: conf, Seats: seats(full, 2), Total: eur(20000), ConfirmedAt: expires})
	f.catchUp()
	if o := f.order(id); o.Status != registrations.OrderStatusConfirmed || o.PaymentPending || !o.ConfirmedAt.Equal(expires) {
		t.Fatalf("confirmed order: got %+v", o)
	}
	if _, err := f.m.Order(context.Background(), uuid.New()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown order: got %v, want ErrNotFound", err)
	}
}

func TestOrderSeatsAndAttendeesOfConfirmedOrders(t *testing.T) {
	f := newFixture(t)
	conf, full, ws := uuid.New(), uuid.New(), uuid.New()
	placeConfirmed := func(id uuid.UUID, s registrations.Seats) {
		f.given(registrations.OrderStreamID(id),
			registrations.OrderPlaced{OrderID: id, ConferenceID: conf, Seats: s, Quote: quote(t, s, eur(100), registrations.PromoCode{}), AccessCode: "AAAA-" + id.String()[:4]},
			registrations.OrderReservationCompleted{OrderID: id, Seats: s, Quote: quote(t, s, eur(100), registrations.PromoCode{})},
			registrations.OrderConfirmed{OrderID: id, ConferenceID: conf, Seats: s, Total: eur(100)},
		)
	}
	one, two := uuid.New(), uuid.New()
	placeConfirmed(one, registrations.Seats{{SeatType: full, Quantity: 1}, {SeatType: ws, Quantity: 1}}.Normalize())
	placeConfirmed(two, seats(full, 1))
	ada := registrations.Attendee{Name: "Ada Lovelace", Email: "ada@example.org", Company: "Analytical"}
	bob := registrations.Attendee{Name: "Bob Byte", Email: "bob@example.org"}
	eve := registrations.Attendee{Name: "Eve Ng", Email: "eve@example.org", Company: "Analytical"}
	positions := func(s registrations.Seats) []registrations.SeatPosition {
		var out []registrations.SeatPosition
		for _, q := range s {
			for range q.Quantity {
				out = append(out, registrations.SeatPosition{Position: len(out), SeatType: q.SeatType})
			}
		}
		return out
	}
	oneSeats := registrations.Seats{{SeatType: full, Quantity: 1}, {SeatType: ws, Quantity: 1}}.Normalize()
	f.given(registrations.AssignmentsStreamID(one),
		registrations.SeatAssignmentsCreated{OrderID: one, ConferenceID: conf, Positions: positions(oneSeats)},
		registrations.SeatAssigned{OrderID: one, Position: 0, SeatType: oneSeats[0].SeatType, Attendee: bob},
		registrations.SeatUnassigned{OrderID: one, Position: 0, SeatType: oneSeats[0].SeatType, Previous: bob},
		registrations.SeatAssigned{OrderID: one, Position: 0, SeatType: oneSeats[0].SeatType, Attendee: ada},
	)
	f.given(registrations.AssignmentsStreamID(two),
		registrations.SeatAssignmentsCreated{OrderID: two, ConferenceID: conf, Positions: positions(seats(full, 1))},
		registrations.SeatAssigned{OrderID: two, Position: 0, SeatType: full, Attendee: registrations.Attendee{Name: "Eve N", Email: eve.Email}},
		registrations.SeatAssigneeUpdated{OrderID: two, Position: 0, SeatType: full, Attendee: eve},
	)
	f.catchUp()

	got, err := f.m.OrderSeats(context.Background(), one)
	f.must(err)
	if len(got) != 2 || got[0].Attendee != ada || !got[1].Attendee.IsZero() || got[1].SeatType != oneSeats[1].SeatType {
		t.Fatalf("seats of order: got %+v", got)
	}
	all, err := f.m.Attendees(context.Background(), conf, "", 0, 0)
	f.must(err)
	if len(all) != 2 || all[0].Attendee != ada || all[1].Attendee != eve || all[1].OrderID != two {
		t.Fatalf("attendees: got %+v", all)
	}
	if found, _ := f.m.Attendees(context.Background(), conf, "EVE@", 10, 0); len(found) != 1 || found[0].Name != "Eve Ng" {
		t.Fatalf("attendees matching eve@: got %+v", found)
	}
	if found, _ := f.m.Attendees(context.Background(), conf, "analytical", 1, 1); len(found) != 1 || found[0].Name != "Eve Ng" {
		t.Fatalf("second page of attendees of Analytical: got %+v", found)
	}
	if found, _ := f.m.Attendees(context.Background(), conf, "%", 10, 0); len(found) != 0 {
		t.Fatalf("a literal %% matched %+v", found)
	}

	f.given(registrations.OrderStreamID(two), registrations.OrderCancelled{OrderID: two, ConferenceID: conf, Seats: seats(full, 1), WasConfirmed: true})
	f.catchUp()
	if all, _ := f.m.Attendees(context.Background(), conf, "", 0, 0); len(all) != 1 || all[0].Attendee != ada {
		t.Fatalf("attendees after a cancellation: got %+v", all)
	}
}

func TestOrganizerOrdersFilterByStatusAndSearch(t *testing.T) {
	f := newFixture(t)
	conf, full := uuid.New(), uuid.New()
	ids3 := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	codes := []string{"AAAA-2222", "BBBB-3333", "CCCC-4444"}
	names := []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"}
	for i, id := range ids3 {
		q := quote(t, seats(full, 1), eur(100), registrations.PromoCode{})
		f.given(registrations.OrderStreamID(id),
			registrations.OrderPlaced{OrderID: id, ConferenceID: conf, Seats: seats(full, 1), Quote: q, AccessCode: codes[i]},
			registrations.OrderReservationCompleted{OrderID: id, Seats: seats(full, 1), Quote: q},
			registrations.OrderRegistrantAssigned{OrderID: id, Name: names[i], Email: "p" + codes[i][:4] + "@example.org"},
		)
	}
	f.given(registrations.OrderStreamID(ids3[1]), registrations.OrderExpired{OrderID: ids3[1], ConferenceID: conf, Seats: seats(full, 1)})
	f.catchUp()

	list := func(flt OrdersFilter) []uuid.UUID {
		t.Helper()
		os, err := f.m.Orders(context.Background(), conf, flt)
		f.must(err)
		var out []uuid.UUID
		for _, o := range os {
			out = append(out, o.OrderID)
		}
		return out
	}
	if got := list(OrdersFilter{}); len(got) != 3 || got[0] != ids3[2] || got[2] != ids3[0] {
		t.Fatalf("all orders newest first: got %v", got)
	}
	if got := list(OrdersFilter{Status: registrations.OrderStatusExpired}); len(got) != 1 || got[0] != ids3[1] {
		t.Fatalf("expired orders: got %v", got)
	}
	if got := list(OrdersFilter{Query: "bbbb3333"}); len(got) != 1 || got[0] != ids3[1] {
		t.Fatalf("by access code: got %v", got)
	}
	if got := list(OrdersFilter{Query: "turing"}); len(got) != 1 || got[0] != ids3[2] {
		t.Fatalf("by name: got %v", got)
	}
	if got := list(OrdersFilter{Query: "pAAAA@", Status: registrations.OrderStatusReserved}); len(got) != 1 || got[0] != ids3[0] {
		t.Fatalf("by email and status: got %v", got)
	}
	if got := list(OrdersFilter{Limit: 1, Offset: 1}); len(got) != 1 || got[0] != ids3[1] {
		t.Fatalf("second page: got %v", got)
	}
}

func TestWaitlistKeepsLineOrderAndStatuses(t *testing.T) {
	f := newFixture(t)
	conf, ws := uuid.New(), uuid.New()
	e1, e2, e3 := uuid.New(), uuid.New(), uuid.New()
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	stream := registrations.WaitlistStreamID(conf)
	f.given(stream,
		registrations.WaitlistJoined{ConferenceID: conf, EntryID: e1, SeatType: ws, Quantity: 2, Name: "One", Email: "one@example.org", JoinedAt: now},
		registrations.WaitlistJoined{ConferenceID: conf, EntryID: e2, SeatType: ws, Quantity: 1, Name: "Two", Email: "two@example.org", JoinedAt: now},
		registrations.WaitlistJoined{ConferenceID: conf, EntryID: e3, SeatType: ws, Quantity: 1, Name: "Three", Email: "three@example.org", JoinedAt: now},
	)
	f.catchUp()
	f.restart() // entries must be found in the table, not just in memory
	f.given(stream,
		registrations.WaitlistOfferMade{ConferenceID: conf, EntryID: e1, SeatType: ws, Quantity: 1, Window: time.Hour, OfferedAt: now, ExpiresAt: now.Add(time.Hour)},
		registrations.WaitlistLeft{ConferenceID: conf, EntryID: e2, SeatType: ws, LeftAt: now},
	)
	f.catchUp()
	list, err := f.m.Waitlist(context.Background(), conf)
	f.must(err)
	if len(list) != 3 {
		t.Fatalf("waitlist: got %+v", list)
	}
	want := []struct {
		id     uuid.UUID
		status registrations.WaitlistStatus
		place  int
	}{{e1, registrations.WaitlistOffered, 0}, {e2, registrations.WaitlistGone, 0}, {e3, registrations.WaitlistWaiting, 1}}
	for i, w := range want {
		if list[i].EntryID != w.id || list[i].Status != w.status || list[i].Place != w.place {
			t.Fatalf("entry %d: got %+v, want %+v", i, list[i], w)
		}
	}
	if list[0].OfferedSeats != 1 || !list[0].OfferExpiresAt.Equal(now.Add(time.Hour)) || list[0].OrderStatus != "" {
		t.Fatalf("offer details: got %+v", list[0])
	}
	if got := list[0].Offer(now); got != registrations.OfferOpen {
		t.Fatalf("offer state: got %q, want open", got)
	}

	// The offer taken becomes an order with the entry's id: the list
	// follows its status.
	f.given(stream, registrations.WaitlistOfferAccepted{ConferenceID: conf, EntryID: e1, SeatType: ws, Quantity: 1, AcceptedAt: now})
	f.given(registrations.OrderStreamID(e1), registrations.OrderPlaced{OrderID: e1, ConferenceID: conf, Seats: seats(ws, 1),
		Quote: quote(t, seats(ws, 1), eur(100), registrations.PromoCode{}), AccessCode: "WAIT-LIST", PlacedAt: now})
	f.catchUp()
	list, err = f.m.Waitlist(context.Background(), conf)
	f.must(err)
	if list[0].Status != registrations.WaitlistAccepted || list[0].OrderStatus != registrations.OrderStatusPending || list[0].Offer(now) != registrations.OfferTaken {
		t.Fatalf("taken offer: got %+v", list[0])
	}
	if list[1].OrderStatus != "" || list[2].OrderStatus != "" {
		t.Fatalf("entries without orders: got %+v", list[1:])
	}
}

func TestPromoCodeUseCountsRedemptionsReleasesAndDiscounts(t *testing.T) {
	f := newFixture(t)
	conf, full := uuid.New(), uuid.New()
	promo := registrations.PromoCode{Code: "Early", Kind: registrations.DiscountPercentage, Percent: 10}
	a, b := uuid.New(), uuid.New()
	usage := registrations.PromoUsageStreamID(conf, "EARLY")
	f.given(usage,
		registrations.PromoCodeRedeemed{ConferenceID: conf, Code: "EARLY", OrderID: a},
		registrations.PromoCodeRedeemed{ConferenceID: conf, Code: "EARLY", OrderID: b},
	)
	f.catchUp()
	f.restart()
	f.given(usage, registrations.PromoCodeReleased{ConferenceID: conf, Code: "EARLY", OrderID: b})
	q := quote(t, seats(full, 2), eur(10000), promo)
	f.given(registrations.OrderStreamID(a),
		registrations.OrderPlaced{OrderID: a, ConferenceID: conf, Seats: seats(full, 2), Quote: q, Promo: promo, AccessCode: "PROM-2222"},
		registrations.OrderReservationCompleted{OrderID: a, Seats: seats(full, 2), Quote: q},
		registrations.OrderConfirmed{OrderID: a, ConferenceID: conf, Seats: seats(full, 2), Total: q.Total},
	)
	f.catchUp()
	got, err := f.m.PromoCodeUse(context.Background(), conf)
	f.must(err)
	want := PromoCodeUseView{Code: "EARLY", Uses: 1, Released: 1, ConfirmedOrders: 1, Discount: eur(2000)}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("promo code use: got %+v, want %+v", got, want)
	}
}

func TestUndecodableEventIsSkippedAndLaterOnesApplied(t *testing.T) {
	f := newFixture(t)
	conf, full := uuid.New(), uuid.New()
	stream := registrations.AvailabilityStreamID(conf)
	_, err := f.store.Append(context.Background(), eventstore.Stream{ID: stream, Type: "test"}, 0, []eventstore.Event{
		{EventID: ids.New(), StreamID: stream, StreamType: "test", StreamVersion: 1, Type: "registrations.SeatTypeAdded", Schema: 1, Data: []byte(`{"quota":"many"}`)},
		{EventID: ids.New(), StreamID: stream, StreamType: "test", StreamVersion: 2, Type: "someone.Else", Schema: 1, Data: []byte(`{}`)},
	})
	f.must(err)
	f.versions[stream] = 2
	f.given(stream, registrations.SeatTypeAdded{ConferenceID: conf, SeatType: full, Quota: 5})
	f.catchUp()
	wantCounts(t, f.seatType(conf, full), 5, 0, 0, 0, 5)
	if f.m.Position() != f.last {
		t.Fatalf("position: got %d, want %d", f.m.Position(), f.last)
	}
}

func TestWaitForReadsYourWriteAndRunFollowsBothLogs(t *testing.T) {
	f := newFixture(t)
	conf, full := uuid.New(), uuid.New()
	f.given(registrations.AvailabilityStreamID(conf), registrations.SeatTypeAdded{ConferenceID: conf, SeatType: full, Quota: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	run := func() { go func() { done <- f.m.Run(runCtx) }() }
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	if f.store.DB().Dialect == sqldb.SQLite {
		// The one process of a SQLite hub always leads: with no Run,
		// WaitFor catches up itself.
		f.must(f.m.WaitFor(ctx, f.last))
		run()
	} else {
		// A replica applies the log only while it runs the models (holds
		// their lease); WaitFor waits for that.
		run()
		f.must(f.m.WaitFor(ctx, f.last))
	}
	wantCounts(t, f.seatType(conf, full), 5, 0, 0, 0, 5)

	f.given(registrations.AvailabilityStreamID(conf), registrations.SeatQuotaIncreased{ConferenceID: conf, SeatType: full, By: 1, Quota: 6})
	f.published(conferences.ConferenceCreated{ConferenceInfo: conferenceInfo(conf, "runner", true)})
	for {
		c, err := f.m.Conference(ctx, conf)
		if err == nil && c.Slug == "runner" && f.m.Position() == f.last {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Run did not apply the new event and message: position %d of %d, conference %v", f.m.Position(), f.last, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	wantCounts(t, f.seatType(conf, full), 6, 0, 0, 0, 6)
}
