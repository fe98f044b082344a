package hubapp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/payments"
	registrationsapp "conference/hub/registrations"
	"conference/shared/eventstore"
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
//
// Conference Management brings the quotas to SeatsAvailability itself, in
// the organizer's call (Inventory, below), so a conference is on sale only
// once its inventory knows every quota. These subscribers are the
// backstop, at least once, for a sync that failed after its change
// committed.
func (h *Hub) subscribeConferenceEvents() error {
	for _, typ := range []string{conferences.TypeSeatTypeCreated, conferences.TypeSeatTypeUpdated} {
		if err := h.Bus.Subscribe(subSeatQuota, typ, h.onSeatType); err != nil {
			return err
		}
	}
	return h.Bus.Subscribe(subPublishedSync, conferences.TypeConferencePublished, h.onConferencePublished)
}

// onSeatType brings the seat type's conference to its current quotas.
// It reads them afresh instead of taking the event's: the organizer's
// call has applied them already, and this message may be older than the
// latest change, whose quota it must not undo.
func (h *Hub) onSeatType(ctx context.Context, m eventstore.Message) error {
	var info conferences.SeatTypeInfo
	if err := json.Unmarshal(m.Data, &info); err != nil {
		return fmt.Errorf("decode %s %s: %w", m.Type, m.ID, err)
	}
	return h.SyncQuotas(ctx, info.ConferenceID)
}

// onConferencePublished brings every seat type of the conference to its
// current quota: a reconciliation that makes a conference on sale complete
// even if an earlier seat type message was dead-lettered.
func (h *Hub) onConferencePublished(ctx context.Context, m eventstore.Message) error {
	var e conferences.ConferencePublished
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return fmt.Errorf("decode %s %s: %w", m.Type, m.ID, err)
	}
	return h.SyncQuotas(ctx, e.ConferenceID)
}

var _ conferences.Inventory = (*Hub)(nil)

// SyncQuotas implements conferences.Inventory: it brings the conference's
// SeatsAvailability to the quotas Conference Management holds, read inside
// the change (see registrationsapp.Registrations.SyncSeatQuotas). A
// lowering the seats in use do not allow is skipped: the inventory keeps
// the higher quota rather than oversell.
func (h *Hub) SyncQuotas(ctx context.Context, conferenceID uuid.UUID) error {
	return h.Registrations.SyncSeatQuotas(ctx, conferenceID, func(ctx context.Context) ([]registrationsapp.SeatQuota, error) {
		list, err := h.Conferences.SeatTypesOf(ctx, conferenceID)
		if err != nil {
			return nil, err
		}
		quotas := make([]registrationsapp.SeatQuota, 0, len(list))
		for _, st := range list {
			quotas = append(quotas, registrationsapp.SeatQuota{SeatType: st.ID, Quota: st.Quota})
		}
		return quotas, nil
	})
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
