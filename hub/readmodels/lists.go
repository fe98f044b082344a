package readmodels

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// AttendeeView is a named seat of a confirmed order.
type AttendeeView struct {
	OrderID      uuid.UUID
	AccessCode   string
	Position     int
	SeatType     uuid.UUID
	SeatTypeName string
	registrations.Attendee
}

// attendeeRows is every seat of a confirmed order with the person in it:
// whoever was assigned to the seat or, for a walk-up sale's seat nobody
// was assigned to, the buyer named on the order. A kiosk names the seats
// of a sale only when the buyer gives an email (an attendee is someone to
// reach); a cash buyer who gives none still holds the seats, as the
// kiosk's own attendee list shows. Seats without a name are left out.
const attendeeRows = `SELECT * FROM (SELECT s.conference_id, s.order_id, o.access_code, s.position, s.seat_type,
		CASE WHEN s.name = '' AND o.kiosk_id <> '' THEN o.name ELSE s.name END AS name,
		CASE WHEN s.name = '' AND o.kiosk_id <> '' THEN o.email ELSE s.email END AS email,
		s.company, s.role
	FROM rm_order_seats s JOIN rm_orders o ON o.order_id = s.order_id
	WHERE o.status = 'confirmed') AS seats WHERE name <> ''`

// Attendees lists the named seats of a conference's confirmed orders (see
// attendeeRows), by name, matching query (name, email or company, any
// part, case insensitive for ASCII; "" for all). limit <= 0 is
// DefaultLimit, at most MaxLimit.
func (m *Models) Attendees(ctx context.Context, conferenceID uuid.UUID, query string, limit, offset int) ([]AttendeeView, error) {
	limit, offset = page(limit, offset)
	var args sqldb.Args
	q := `SELECT order_id, access_code, position, seat_type, name, email, company, role FROM (` + attendeeRows + `) AS attendees
		WHERE conference_id = ` + args.Add(conferenceID[:])
	if strings.TrimSpace(query) != "" {
		p := args.Add(likePattern(query))
		q += ` AND (` + ilike("name", p) + ` OR ` + ilike("email", p) + ` OR ` + ilike("company", p) + `)`
	}
	q += ` ORDER BY lower(name), order_id, position LIMIT ` + args.Add(limit) + ` OFFSET ` + args.Add(offset)
	rows, err := m.store.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("attendees of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	var out []AttendeeView
	for rows.Next() {
		var a AttendeeView
		if err := rows.Scan(idCol{&a.OrderID}, &a.AccessCode, &a.Position, idCol{&a.SeatType}, &a.Name, &a.Email, &a.Company, &a.Role); err != nil {
			return nil, fmt.Errorf("attendees of %s: %w", conferenceID, err)
		}
		a.SeatTypeName = m.seatTypeName(conferenceID, a.SeatType)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ilike matches column against a LIKE pattern (likePattern's escapes)
// ignoring case, the same way on both databases: SQLite's LIKE ignores the
// case of ASCII letters, PostgreSQL's ignores none.
func ilike(column, pattern string) string {
	return `lower(` + column + `) LIKE lower(` + pattern + `) ESCAPE '\'`
}

// OrdersFilter narrows the organizer's order list.
type OrdersFilter struct {
	// Status keeps orders in that status; "" keeps all.
	Status registrations.OrderStatus
	// Query matches the access code, the registrant's email or name (any
	// part, case insensitive for ASCII); "" matches all.
	Query         string
	Limit, Offset int
}

// Orders lists a conference's orders for the organizer, newest first.
func (m *Models) Orders(ctx context.Context, conferenceID uuid.UUID, f OrdersFilter) ([]OrderView, error) {
	limit, offset := page(f.Limit, f.Offset)
	var args sqldb.Args
	q := `SELECT ` + orderColumns + ` FROM rm_orders WHERE conference_id = ` + args.Add(conferenceID[:])
	if f.Status != "" {
		q += ` AND status = ` + args.Add(string(f.Status))
	}
	if strings.TrimSpace(f.Query) != "" {
		p := args.Add(likePattern(f.Query))
		q += ` AND (` + ilike("access_code", args.Add(likePattern(NormalizeAccessCode(f.Query)))) + ` OR ` + ilike("email", p) + ` OR ` + ilike("name", p) + `)`
	}
	q += ` ORDER BY line DESC, order_id LIMIT ` + args.Add(limit) + ` OFFSET ` + args.Add(offset)
	rows, err := m.store.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("orders of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	var out []OrderView
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("orders of %s: %w", conferenceID, err)
		}
		out = append(out, m.orderView(o))
	}
	return out, rows.Err()
}

// WaitlistEntryView is one registrant on a conference's waitlist.
type WaitlistEntryView struct {
	EntryID      uuid.UUID
	SeatType     uuid.UUID
	SeatTypeName string
	Quantity     int
	Name, Email  string
	Status       registrations.WaitlistStatus
	// Place is the 1-based place in line among those still waiting for
	// the seat type; 0 for entries no longer waiting.
	Place          int
	OfferedSeats   int
	OfferExpiresAt time.Time
	JoinedAt       time.Time
	// OrderStatus is the status of the order a taken offer became (its id
	// is the entry id); "" while there is none.
	OrderStatus registrations.OrderStatus
}

// Offer says where the entry's offer stands at now (the domain's rule).
func (v WaitlistEntryView) Offer(now time.Time) registrations.OfferState {
	return registrations.WaitlistEntry{Status: v.Status, OfferedSeats: v.OfferedSeats, OfferExpiresAt: v.OfferExpiresAt}.Offer(now)
}

// Waitlist lists a conference's waitlist entries, every status, by seat
// type and then in line order.
func (m *Models) Waitlist(ctx context.Context, conferenceID uuid.UUID) ([]WaitlistEntryView, error) {
	rows, err := m.store.DB().QueryContext(ctx, `SELECT `+waitColumns+`,
		(SELECT o.status FROM rm_orders o WHERE o.order_id = rm_waitlist.entry_id)
		FROM rm_waitlist WHERE conference_id = $1 ORDER BY seat_type, line`, conferenceID[:])
	if err != nil {
		return nil, fmt.Errorf("waitlist of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	var out []WaitlistEntryView
	places := map[uuid.UUID]int{}
	for rows.Next() {
		var orderStatus sql.NullString
		w, err := scanWaitEntry(rows, &orderStatus)
		if err != nil {
			return nil, fmt.Errorf("waitlist of %s: %w", conferenceID, err)
		}
		v := WaitlistEntryView{
			EntryID: w.id, SeatType: w.seatType, SeatTypeName: m.seatTypeName(conferenceID, w.seatType), Quantity: w.quantity,
			Name: w.name, Email: w.email, Status: w.status, OfferedSeats: w.offered, OfferExpiresAt: w.offerExpiresAt, JoinedAt: w.joinedAt,
			OrderStatus: registrations.OrderStatus(orderStatus.String),
		}
		if w.status == registrations.WaitlistWaiting {
			places[w.seatType]++
			v.Place = places[w.seatType]
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// PromoCodeUseView is how much one promo code of a conference was used.
type PromoCodeUseView struct {
	Code string
	// Uses is how many orders hold a use now (redeemed, not released);
	// Released how many uses were given back by orders that never
	// completed.
	Uses     int
	Released int
	// ConfirmedOrders and Discount cover the confirmed orders priced with
	// the code, walk-up sales included.
	ConfirmedOrders int
	Discount        registrations.Money
}

// PromoCodeUse lists a conference's promo codes that were used, by code.
func (m *Models) PromoCodeUse(ctx context.Context, conferenceID uuid.UUID) ([]PromoCodeUseView, error) {
	byCode := map[string]*PromoCodeUseView{}
	var codes []string
	get := func(code string) *PromoCodeUseView {
		v, ok := byCode[code]
		if !ok {
			v = &PromoCodeUseView{Code: code}
			byCode[code] = v
			codes = append(codes, code)
		}
		return v
	}
	rows, err := m.store.DB().QueryContext(ctx, `SELECT code, COUNT(*) FILTER (WHERE released = 0), COUNT(*) FILTER (WHERE released = 1) FROM rm_promo_uses
		WHERE conference_id = $1 GROUP BY code`, conferenceID[:])
	if err != nil {
		return nil, fmt.Errorf("promo code use of %s: %w", conferenceID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var uses, released int
		if err := rows.Scan(&code, &uses, &released); err != nil {
			return nil, fmt.Errorf("promo code use of %s: %w", conferenceID, err)
		}
		v := get(code)
		v.Uses, v.Released = uses, released
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("promo code use of %s: %w", conferenceID, err)
	}
	orows, err := m.store.DB().QueryContext(ctx, `SELECT promo_code, currency, COUNT(*), SUM(discount_amount) FROM rm_orders
		WHERE conference_id = $1 AND status = 'confirmed' AND promo_code <> '' GROUP BY promo_code, currency`, conferenceID[:])
	if err != nil {
		return nil, fmt.Errorf("promo code use of %s: %w", conferenceID, err)
	}
	defer orows.Close()
	for orows.Next() {
		var code, currency string
		var n int
		var discount int64
		if err := orows.Scan(&code, &currency, &n, &discount); err != nil {
			return nil, fmt.Errorf("promo code use of %s: %w", conferenceID, err)
		}
		v := get(code)
		v.ConfirmedOrders += n
		v.Discount = registrations.NewMoney(v.Discount.Amount+discount, currency)
	}
	if err := orows.Err(); err != nil {
		return nil, fmt.Errorf("promo code use of %s: %w", conferenceID, err)
	}
	out := make([]PromoCodeUseView, 0, len(codes))
	slices.Sort(codes)
	for _, c := range codes {
		out = append(out, *byCode[c])
	}
	return out, nil
}

func normalizeCode(code string) string { return registrations.NormalizePromoCode(code) }
