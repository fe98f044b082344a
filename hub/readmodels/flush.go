package readmodels

import (
	"bytes"
	"conference/shared/sqldb"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Every write replaces the whole row: an entity in memory is always
// complete (loaded from its row or built from its first event).
var (
	sqlConference = sqldb.Upsert("rm_conferences", []string{"conference_id"}, "conference_id", "organizer_id", "slug", "name", "tagline",
		"description", "venue", "contact_email", "time_zone", "starts_at", "ends_at", "reservation_window_minutes", "currency", "published")
	sqlSeatType = sqldb.Upsert("rm_seat_types", []string{"seat_type_id"}, "seat_type_id", "conference_id", "info_seq", "name", "description",
		"price_amount", "price_currency", "sellable_at_kiosks", "sell_past_allocation", "kiosk_allocation_size",
		"quota", "reserved", "sold", "allocated")
	sqlReservation       = sqldb.Upsert("rm_reservations", []string{"reservation_id"}, "reservation_id", "conference_id", "seats")
	sqlDeleteReservation = `DELETE FROM rm_reservations WHERE reservation_id = $1`
	sqlOrder             = sqldb.Upsert("rm_orders", []string{"order_id"}, "order_id", "conference_id", "line", "status", "access_code", "name", "email",
		"kiosk_id", "requested", "reserved", "quote", "total_amount", "discount_amount", "currency", "promo_code", "expires_at", "placed_at", "confirmed_at",
		"reason")
	sqlOrderSeat = sqldb.Upsert("rm_order_seats", []string{"order_id", "position"}, "order_id", "position", "conference_id", "seat_type",
		"name", "email", "company", "role")
	sqlWaitEntry = sqldb.Upsert("rm_waitlist", []string{"entry_id"}, "entry_id", "conference_id", "seat_type", "line", "quantity", "name",
		"email", "status", "offered_seats", "offer_expires_at", "joined_at")
	sqlPromoUse = sqldb.Upsert("rm_promo_uses", []string{"conference_id", "code", "order_id"}, "conference_id", "code", "order_id",
		"redeemed_at", "released")
)

// tables lists the read-model tables a rebuild empties.
var tables = []string{"rm_conferences", "rm_seat_types", "rm_reservations", "rm_orders", "rm_order_seats", "rm_waitlist", "rm_promo_uses",
	"rm_seat_conflicts", "rm_checkin_warnings", "rm_checkins"}

var sqlCheckpoint = sqldb.Upsert("checkpoints", []string{"name"}, "name", "position")

// Checkpoint names in the store's checkpoints table.
const (
	checkpointEvents   = "readmodels.events"
	checkpointMessages = "readmodels.messages"
)

// flush writes every dirty entity and both checkpoints in tx. It leaves
// the dirty flags set: the caller clears them once tx committed.
func (s *state) flush(ctx context.Context, tx sqldb.Tx, eventPos, messageSeq int64) error {
	w := newTxWriter(ctx, tx)
	defer w.close()
	return s.write(w.exec, eventPos, messageSeq)
}

// write passes the row of every dirty entity, and both checkpoints, to
// exec: flush executes them at once, a rebuild hands them to its writer.
func (s *state) write(exec func(q string, args ...any) error, eventPos, messageSeq int64) error {
	for _, c := range sorted(s.conferences, func(c *conference) bool { return c.dirty }) {
		if err := exec(sqlConference, c.ConferenceID[:], c.OrganizerID[:], c.Slug, c.Name, c.Tagline, c.Description, c.Venue,
			c.ContactEmail, c.TimeZone, ms(c.StartsAt), ms(c.EndsAt), c.ReservationWindowMinutes, c.Currency, boolInt(c.Published)); err != nil {
			return err
		}
	}
	for _, st := range sorted(s.seatTypes, func(st *seatType) bool { return st.dirty }) {
		if err := exec(sqlSeatType, st.id[:], st.conferenceID[:], st.infoSeq, st.name, st.descr, st.price.Amount, st.price.Currency,
			boolInt(st.onSite.SellableAtKiosks), boolInt(st.onSite.SellPastAllocation), st.onSite.KioskAllocationSize,
			st.quota, st.reserved, st.sold, st.allocated); err != nil {
			return err
		}
	}
	for _, r := range sorted(s.reservations, func(r *reservation) bool { return r.dirty }) {
		var err error
		switch {
		case r.deleted && !r.written:
			// Held and released between two flushes: no row to delete.
		case r.deleted:
			err = exec(sqlDeleteReservation, r.id[:])
		default:
			err = exec(sqlReservation, r.id[:], r.conferenceID[:], jsonText(r.seats))
			r.written = true
		}
		if err != nil {
			return err
		}
	}
	if err := s.flushOrders(exec); err != nil {
		return err
	}
	for _, w := range sorted(s.waitlist, func(w *waitEntry) bool { return w.dirty }) {
		if err := exec(sqlWaitEntry, w.id[:], w.conferenceID[:], w.seatType[:], w.line, w.quantity, w.name, w.email,
			string(w.status), w.offered, ms(w.offerExpiresAt), ms(w.joinedAt)); err != nil {
			return err
		}
	}
	for _, p := range s.promos {
		if !p.dirty {
			continue
		}
		if err := exec(sqlPromoUse, p.conferenceID[:], p.code, p.orderID[:], ms(p.redeemedAt), boolInt(p.released)); err != nil {
			return err
		}
	}
	if err := s.flushOnSite(exec); err != nil {
		return err
	}
	if err := s.flushCheckIns(exec); err != nil {
		return err
	}
	for name, pos := range map[string]int64{checkpointEvents: eventPos, checkpointMessages: messageSeq} {
		if err := exec(sqlCheckpoint, name, pos); err != nil {
			return err
		}
	}
	return nil
}

// txWriter executes writes in a transaction, preparing each statement once.
type txWriter struct {
	ctx   context.Context
	tx    sqldb.Tx
	stmts map[string]*sql.Stmt
}

func newTxWriter(ctx context.Context, tx sqldb.Tx) *txWriter {
	return &txWriter{ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}}
}

func (w *txWriter) exec(q string, args ...any) error {
	st, ok := w.stmts[q]
	if !ok {
		var err error
		if st, err = w.tx.PrepareContext(w.ctx, q); err != nil {
			return fmt.Errorf("prepare read-model write: %w", err)
		}
		w.stmts[q] = st
	}
	if _, err := st.ExecContext(w.ctx, args...); err != nil {
		return fmt.Errorf("write read model: %w", err)
	}
	return nil
}

func (w *txWriter) close() {
	for _, st := range w.stmts {
		st.Close()
	}
	clear(w.stmts)
}

func (s *state) flushOrders(exec func(string, ...any) error) error {
	for _, o := range sorted(s.orders, func(o *order) bool { return o.dirty }) {
		if err := exec(sqlOrder, o.id[:], o.conferenceID[:], o.line, string(o.status), o.accessCode, o.name, o.email, o.kioskID,
			jsonText(o.requested), jsonText(o.reserved), jsonText(o.quote), o.quote.Total.Amount, o.quote.Discount.Amount,
			o.quote.Total.Currency, normalizeCode(o.quote.PromoCode), ms(o.expiresAt), ms(o.placedAt), ms(o.confirmedAt), o.reason); err != nil {
			return err
		}
	}
	for _, o := range sorted(s.seats, func(o *orderSeats) bool { return o.dirty }) {
		for _, p := range o.positions {
			a := p.Attendee
			if err := exec(sqlOrderSeat, o.orderID[:], p.Position, o.conferenceID[:], p.SeatType[:], a.Name, a.Email, a.Company, a.Role); err != nil {
				return err
			}
		}
	}
	return nil
}

// committed clears the dirty flags after a successful commit and drops
// deleted reservations.
func (s *state) committed() {
	for _, c := range s.conferences {
		c.dirty = false
	}
	for _, st := range s.seatTypes {
		st.dirty = false
	}
	for id, r := range s.reservations {
		if r.deleted {
			delete(s.reservations, id)
		}
		r.dirty = false
	}
	clear(s.touched)
}

// cleanAll clears every dirty flag but keeps the entities: a rebuild
// writes in chunks and keeps applying to what it wrote.
func (s *state) cleanAll() {
	s.committed()
	for _, o := range s.orders {
		o.dirty = false
	}
	for _, o := range s.seats {
		o.dirty = false
	}
	for _, w := range s.waitlist {
		w.dirty = false
	}
	for _, p := range s.promos {
		p.dirty = false
	}
	for _, c := range s.conflicts {
		c.dirty = false
	}
	for _, w := range s.warnings {
		w.dirty = false
	}
	for _, c := range s.checkins {
		c.dirty = false
	}
}

// sorted returns the map's values that pass keep, in key order, so rows
// go into the B-trees in order (UUIDv7 keys are time-ordered as well).
func sorted[V any](m map[uuid.UUID]V, keep func(V) bool) []V {
	keys := make([]uuid.UUID, 0, len(m))
	for k, v := range m {
		if keep(v) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Seats and quotes are plain structs of numbers and strings:
		// marshalling cannot fail.
		return "null"
	}
	return string(b)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
