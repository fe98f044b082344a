package hubapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"conference/hub/conferences"
	"conference/hub/payments"
	registrationsapp "conference/hub/registrations"
	"conference/shared/eventstore"
	"conference/shared/registrations"
)

// Subscriber names: the identity of each handler's processed marks. Keep
// them stable across releases.
const (
	subSeatQuota       = "registrations.seat-quota"
	subPublishedSync   = "registrations.published-sync"
	subPaymentAccepted = "registrations.payment-accepted"
)

// subscribeConferenceEvents makes the registrations context follow
// Conference Management: a seat type's quota becomes its quota in
// SeatsAvailability. Prices, promo codes and the reservation window are not
// copied: the Catalog reads them from Conference Management when an order
// is placed.
func (h *Hub) subscribeConferenceEvents() error {
	for _, typ := range []string{conferences.TypeSeatTypeCreated, conferences.TypeSeatTypeUpdated} {
		if err := h.Bus.Subscribe(subSeatQuota, typ, h.onSeatType); err != nil {
			return err
		}
	}
	return h.Bus.Subscribe(subPublishedSync, conferences.TypeConferencePublished, h.onConferencePublished)
}

// onSeatType applies a seat type's quota. The quota in the event is
// absolute, so applying it again changes nothing.
func (h *Hub) onSeatType(ctx context.Context, m eventstore.Message) error {
	var info conferences.SeatTypeInfo
	if err := json.Unmarshal(m.Data, &info); err != nil {
		return fmt.Errorf("decode %s %s: %w", m.Type, m.ID, err)
	}
	err := h.Registrations.SetSeatQuota(ctx, info.ConferenceID, info.SeatType, info.Quota)
	if errors.Is(err, registrations.ErrQuotaBelowUsage) {
		// Seats were taken between Conference Management's check and now:
		// the inventory keeps the higher quota rather than oversell.
		h.Log.Warn("seat quota not lowered: seats in use", "seat_type", info.SeatType, "quota", info.Quota, "err", err)
		return nil
	}
	return err
}

// onConferencePublished brings every seat type of the conference to its
// current quota: a reconciliation that makes a conference on sale complete
// even if an earlier seat type message was dead-lettered.
func (h *Hub) onConferencePublished(ctx context.Context, m eventstore.Message) error {
	var e conferences.ConferencePublished
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return fmt.Errorf("decode %s %s: %w", m.Type, m.ID, err)
	}
	seatTypes, err := h.Conferences.ListPublishedSeatTypes(ctx, e.ConferenceID)
	if errors.Is(err, conferences.ErrNotFound) {
		return nil // unpublished again meanwhile
	}
	if err != nil {
		return err
	}
	if len(seatTypes) == 0 {
		return nil
	}
	quotas := make([]registrationsapp.SeatQuota, 0, len(seatTypes))
	for _, st := range seatTypes {
		quotas = append(quotas, registrationsapp.SeatQuota{SeatType: st.ID, Quota: st.Quota})
	}
	return h.Registrations.SyncSeatQuotas(ctx, e.ConferenceID, quotas)
}

// onPaymentAccepted tells the registrations process that an order was
// paid. CompletePayment is idempotent by payment id.
func (h *Hub) onPaymentAccepted(ctx context.Context, m eventstore.Message) error {
	var e payments.Event
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return fmt.Errorf("decode %s %s: %w", m.Type, m.ID, err)
	}
	return h.Registrations.CompletePayment(ctx, e.OrderID, e.PaymentID, e.Amount)
}
