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

// Registrations holds the use cases the JSON API and the web pages call.
// Each one changes one aggregate (or appends one fact); what follows is
// the process manager's and the bus's work.
type Registrations struct {
	app *App
}

// PlacedOrder is what a registrant needs to find the order again.
type PlacedOrder struct {
	OrderID    uuid.UUID
	AccessCode string
}

// PlaceOrder places an order for seats of a conference, priced with the
// conference's published offer and the promo code (empty for none). An
// order asking for more seats of a seat type than are left is refused up
// front with a *registrations.SeatsUnavailableError, and records nothing.
// A limited promo code is redeemed first, so two orders can never both
// take its last use.
func (r *Registrations) PlaceOrder(ctx context.Context, conferenceID uuid.UUID, seats registrations.Seats, promo string, now time.Time) (PlacedOrder, error) {
	placed := PlacedOrder{OrderID: ids.New(), AccessCode: ids.NewAccessCode()}
	if err := r.placeOrder(ctx, conferenceID, placed, seats, promo, now); err != nil {
		return PlacedOrder{}, err
	}
	return placed, nil
}

// placeOrder places the order with the ids the caller chose.
func (r *Registrations) placeOrder(ctx context.Context, conferenceID uuid.UUID, placed PlacedOrder, seats registrations.Seats, promo string, now time.Time) error {
	offer, err := r.app.catalog.Offer(ctx, conferenceID)
	if err != nil {
		return wrap(err, "place order for conference %s", conferenceID)
	}
	if err := r.app.checkSeatsLeft(ctx, conferenceID, placed.OrderID, seats, offer); err != nil {
		return wrap(err, "place order for conference %s", conferenceID)
	}
	in := registrations.PricingInput{Prices: offer.Prices}
	if promo != "" {
		code, err := registrations.FindPromoCode(offer.PromoCodes, promo)
		if err != nil {
			return wrap(err, "place order")
		}
		// Checked before redeeming: a refused order must not hold a use.
		if err := code.CheckApplies(seats); err != nil {
			return wrap(err, "place order")
		}
		usage := registrations.PromoUsageStreamID(conferenceID, code.Code)
		err = r.app.promos.Update(ctx, usage, eventsourcing.Metadata{CorrelationID: placed.OrderID}, func(u *registrations.PromoCodeUsage) error {
			if err := u.Redeem(conferenceID, code, placed.OrderID, now); err != nil {
				return err
			}
			in.Promo, in.PromoUses = code, u.UsesExcept(placed.OrderID)
			return nil
		})
		if err != nil {
			return wrap(err, "redeem promo code %s", code.Code)
		}
	}
	err = r.app.orders.Update(ctx, registrations.OrderStreamID(placed.OrderID), eventsourcing.Metadata{CorrelationID: placed.OrderID},
		func(o *registrations.Order) error {
			return o.Place(registrations.PlaceOrder{
				OrderID: placed.OrderID, ConferenceID: conferenceID, Seats: seats, Pricing: in,
				ReservationWindow: offer.ReservationWindow, AccessCode: placed.AccessCode,
			}, now)
		})
	return wrap(err, "place order")
}

// SetRegistrant records the name and email of whoever placed the order.
func (r *Registrations) SetRegistrant(ctx context.Context, orderID uuid.UUID, name, email string) error {
	err := r.app.orders.Update(ctx, registrations.OrderStreamID(orderID), eventsourcing.Metadata{CorrelationID: orderID},
		func(o *registrations.Order) error { return o.SetRegistrant(name, email) })
	return wrap(notFound(err), "set registrant of order %s", orderID)
}

// CancelOrder cancels an order; the process releases its seats and refunds
// what was paid.
func (r *Registrations) CancelOrder(ctx context.Context, orderID uuid.UUID, reason string) error {
	err := r.app.orders.Update(ctx, registrations.OrderStreamID(orderID), eventsourcing.Metadata{CorrelationID: orderID},
		func(o *registrations.Order) error { return o.Cancel(reason, r.app.now()) })
	return wrap(notFound(err), "cancel order %s", orderID)
}

// paymentNamespace derives PaymentCompleted event ids from payment ids.
var paymentNamespace = uuid.MustParse("6f1d1b8e-3c0a-4d43-9a3e-6a51c1f0b7a2")

// PaymentStreamID is the stream holding a payment's PaymentCompleted.
func PaymentStreamID(paymentID uuid.UUID) string { return "payment-" + paymentID.String() }

// CompletePayment records that Payments collected amount for the order: a
// registrations.PaymentCompleted in the payment's own stream, which the
// process manager reads from the log. Reporting the same payment again is
// a no-op (its event id derives from the payment id).
func (r *Registrations) CompletePayment(ctx context.Context, orderID, paymentID uuid.UUID, amount registrations.Money) error {
	if paymentID == uuid.Nil || orderID == uuid.Nil {
		return &registrations.Error{Code: registrations.CodeInvalid, Message: "order and payment ids are required"}
	}
	name, schema, data, err := r.app.events.Encode(registrations.PaymentCompleted{PaymentID: paymentID, OrderID: orderID, Amount: amount})
	if err != nil {
		return err
	}
	stream := eventstore.Stream{ID: PaymentStreamID(paymentID), Type: "registrations.Payment"}
	_, err = r.app.store.Append(ctx, stream, eventstore.NoStream, []eventstore.Event{{
		EventID: uuid.NewSHA1(paymentNamespace, paymentID[:]), StreamID: stream.ID, StreamType: stream.Type,
		StreamVersion: 1, Type: name, Schema: schema, Data: data, CorrelationID: orderID,
	}})
	return wrap(err, "complete payment %s of order %s", paymentID, orderID)
}

// SeatQuota is the number of seats a seat type has in total.
type SeatQuota struct {
	SeatType uuid.UUID
	Quota    int
}

// SetSeatQuota brings a conference's seat type to quota, adding it when
// new. Lowering it below the seats reserved, sold and allocated is refused
// with registrations.ErrQuotaBelowUsage.
func (r *Registrations) SetSeatQuota(ctx context.Context, conferenceID, seatType uuid.UUID, quota int) error {
	err := r.updateQuotas(ctx, conferenceID, func(context.Context) ([]SeatQuota, error) {
		return []SeatQuota{{SeatType: seatType, Quota: quota}}, nil
	}, false)
	return wrap(err, "set quota of seat type %s", seatType)
}

// SyncSeatQuotas brings the conference's seat types to the quotas current
// returns, in one change, skipping (and logging) a lowering the seats in
// use do not allow: what Conference Management asks for before it puts a
// conference on sale and whenever a seat type changes.
//
// current is called after the inventory is loaded, and again whenever the
// change loses a race with another writer, so of two syncs the one whose
// change lands last also read the quotas last: a sync that read an older
// quota can never overwrite a newer one.
func (r *Registrations) SyncSeatQuotas(ctx context.Context, conferenceID uuid.UUID, current func(context.Context) ([]SeatQuota, error)) error {
	err := r.updateQuotas(ctx, conferenceID, current, true)
	return wrap(err, "sync seat quotas of conference %s", conferenceID)
}

func (r *Registrations) updateQuotas(ctx context.Context, conferenceID uuid.UUID, current func(context.Context) ([]SeatQuota, error), skipRefused bool) error {
	// Called from a bus subscriber, the change carries the message's
	// processed mark, so a redelivery after a crash is a no-op.
	meta := eventsourcing.Metadata{Processed: messaging.Processed(ctx)}
	return r.app.availability.Update(ctx, registrations.AvailabilityStreamID(conferenceID), meta,
		func(s *registrations.SeatsAvailability) error {
			quotas, err := current(ctx)
			if err != nil {
				return err
			}
			for _, q := range quotas {
				err := s.SetQuota(conferenceID, q.SeatType, q.Quota)
				if skipRefused && errors.Is(err, registrations.ErrQuotaBelowUsage) {
					r.app.log.Warn("seat quota not lowered: seats in use", "conference", conferenceID,
						"seat_type", q.SeatType, "quota", q.Quota, "err", err)
					continue
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
}

// SeatsInUse is how many seats of a seat type are reserved, sold or leased
// to kiosks: the floor for its quota. An unknown conference or seat type
// has none.
func (r *Registrations) SeatsInUse(ctx context.Context, conferenceID, seatType uuid.UUID) (int, error) {
	s, err := r.app.availability.Load(ctx, registrations.AvailabilityStreamID(conferenceID))
	if errors.Is(err, eventsourcing.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap(err, "count seats in use of %s", seatType)
	}
	return s.ReservedCount(seatType) + s.SoldCount(seatType) + s.AllocatedCount(seatType), nil
}

// OrderView is an order as the registrant sees it.
type OrderView struct {
	OrderID        uuid.UUID
	ConferenceID   uuid.UUID
	Status         registrations.OrderStatus
	Requested      registrations.Seats
	Reserved       registrations.Seats
	Partial        bool
	Quote          registrations.Quote
	AccessCode     string
	ExpiresAt      time.Time
	Name, Email    string
	PaymentPending bool
	// Reason says why a rejected order was turned down.
	Reason string
}

// GetOrder returns an order's current state, read from its stream.
func (r *Registrations) GetOrder(ctx context.Context, orderID uuid.UUID) (OrderView, error) {
	o, err := r.app.orders.Load(ctx, registrations.OrderStreamID(orderID))
	if err != nil {
		return OrderView{}, wrap(notFound(err), "get order %s", orderID)
	}
	name, email := o.Registrant()
	return OrderView{
		OrderID: o.OrderID(), ConferenceID: o.ConferenceID(), Status: o.Status(),
		Requested: o.Requested(), Reserved: o.Reserved(), Partial: o.IsPartiallyReserved(),
		Quote: o.Quote(), AccessCode: o.AccessCode(), ExpiresAt: o.ReservationExpiresAt(),
		Name: name, Email: email, Reason: o.RejectionReason(),
		PaymentPending: o.Status() == registrations.OrderStatusReserved && !o.IsFree(),
	}, nil
}

// Availability returns a conference's seat inventory.
func (r *Registrations) Availability(ctx context.Context, conferenceID uuid.UUID) (*registrations.SeatsAvailability, error) {
	s, err := r.app.availability.Load(ctx, registrations.AvailabilityStreamID(conferenceID))
	return s, wrap(err, "get availability of conference %s", conferenceID)
}

// notFound turns a missing stream into the domain's not-found error, so
// adapters map it like any other domain error.
func notFound(err error) error {
	if errors.Is(err, eventsourcing.ErrNotFound) {
		return fmt.Errorf("%w: %w", registrations.ErrOrderNotPlaced, err)
	}
	return err
}
