package readmodels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// ConferenceView is a conference as conference management last published
// it. OrganizerID lets callers check tenancy.
type ConferenceView struct {
	ConferenceID      uuid.UUID
	OrganizerID       uuid.UUID
	Slug              string
	Name              string
	Tagline           string
	Description       string
	Venue             string
	ContactEmail      string
	TimeZone          string
	StartsAt          time.Time
	EndsAt            time.Time
	ReservationWindow time.Duration
	Currency          string
	Published         bool
}

const conferenceSelect = `SELECT conference_id, organizer_id, slug, name, tagline, description, venue, contact_email,
	time_zone, starts_at, ends_at, reservation_window_minutes, currency, published FROM rm_conferences`

func scanConference(r scanner) (ConferenceView, error) {
	var c ConferenceView
	var minutes int
	err := r.Scan(idCol{&c.ConferenceID}, idCol{&c.OrganizerID}, &c.Slug, &c.Name, &c.Tagline, &c.Description, &c.Venue,
		&c.ContactEmail, &c.TimeZone, msCol{&c.StartsAt}, msCol{&c.EndsAt}, &minutes, &c.Currency, &c.Published)
	c.ReservationWindow = time.Duration(minutes) * time.Minute
	return c, err
}

// PublishedConferences lists the published conferences, soonest first.
func (m *Models) PublishedConferences(ctx context.Context) ([]ConferenceView, error) {
	rows, err := m.store.DB().QueryContext(ctx, conferenceSelect+` WHERE published = 1 ORDER BY starts_at, conference_id`)
	if err != nil {
		return nil, fmt.Errorf("published conferences: %w", err)
	}
	defer rows.Close()
	var out []ConferenceView
	for rows.Next() {
		c, err := scanConference(rows)
		if err != nil {
			return nil, fmt.Errorf("published conferences: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Conference returns one conference, published or not (check Published
// and OrganizerID); ErrNotFound when unknown.
func (m *Models) Conference(ctx context.Context, conferenceID uuid.UUID) (ConferenceView, error) {
	return m.oneConference(ctx, conferenceSelect+` WHERE conference_id = $1`, conferenceID[:])
}

// ConferenceBySlug returns a published conference by its slug (case
// insensitive); ErrNotFound for an unknown or unpublished one, since slugs
// are how the public finds conferences.
func (m *Models) ConferenceBySlug(ctx context.Context, slug string) (ConferenceView, error) {
	return m.oneConference(ctx, conferenceSelect+` WHERE slug = $1 AND published = 1`, strings.ToLower(strings.TrimSpace(slug)))
}

func (m *Models) oneConference(ctx context.Context, q string, arg any) (ConferenceView, error) {
	c, err := scanConference(m.store.DB().QueryRowContext(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("conference: %w", ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("read conference: %w", err)
	}
	return c, nil
}

// OrderLine is a priced line of an order, labelled with the seat type's name.
type OrderLine struct {
	registrations.OrderLine
	Name string
}

// OrderView is an order's details as the registrant and the organizer see
// them.
type OrderView struct {
	OrderID      uuid.UUID
	ConferenceID uuid.UUID
	Status       registrations.OrderStatus
	AccessCode   string
	Name, Email  string
	// Requested is what was asked for, Reserved what was held (sold once
	// confirmed); Partial tells the registrant they differ.
	Requested registrations.Seats
	Reserved  registrations.Seats
	Partial   bool
	// Lines, Subtotal, Discount and Total price the reserved seats (the
	// requested ones until the reservation is known).
	Lines     []OrderLine
	Subtotal  registrations.Money
	Discount  registrations.Money
	Total     registrations.Money
	PromoCode string
	// ExpiresAt is when unpaid reserved seats are released.
	ExpiresAt   time.Time
	PlacedAt    time.Time
	ConfirmedAt time.Time // zero unless confirmed
	KioskID     string    // walk-up orders only
	// PaymentPending is true while a reserved order with a price waits to
	// be paid.
	PaymentPending bool
	// Reason says why a rejected order was turned down.
	Reason string
}

func (m *Models) orderView(o *order) OrderView {
	v := OrderView{
		OrderID: o.id, ConferenceID: o.conferenceID, Status: o.status, AccessCode: o.accessCode, Name: o.name, Email: o.email,
		Requested: o.requested, Reserved: o.reserved, Subtotal: o.quote.Subtotal, Discount: o.quote.Discount, Total: o.quote.Total,
		PromoCode: o.quote.PromoCode, ExpiresAt: o.expiresAt, PlacedAt: o.placedAt, ConfirmedAt: o.confirmedAt, KioskID: o.kioskID,
		Reason: o.reason,
	}
	v.Partial = o.status.Partial(o.requested, o.reserved) // as Order.IsPartiallyReserved
	v.PaymentPending = o.status == registrations.OrderStatusReserved && !o.quote.Total.IsZero()
	for _, l := range o.quote.Lines {
		v.Lines = append(v.Lines, OrderLine{OrderLine: l, Name: m.seatTypeName(o.conferenceID, l.SeatType)})
	}
	return v
}

// Order returns an order's details; ErrNotFound when unknown.
func (m *Models) Order(ctx context.Context, orderID uuid.UUID) (OrderView, error) {
	o, err := scanOrder(m.store.DB().QueryRowContext(ctx, `SELECT `+orderColumns+` FROM rm_orders WHERE order_id = $1`, orderID[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return OrderView{}, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return OrderView{}, fmt.Errorf("read order %s: %w", orderID, err)
	}
	return m.orderView(o), nil
}

// NormalizeAccessCode is the canonical spelling of an access code as typed
// by a person: trimmed, upper case, with the hyphen optional.
func NormalizeAccessCode(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) == 8 && !strings.Contains(code, "-") {
		code = code[:4] + "-" + code[4:]
	}
	return code
}

// accessCodeShape reports whether code looks like an access code once
// normalized: two groups of four ASCII letters or digits.
func accessCodeShape(code string) bool {
	if len(code) != 9 || code[4] != '-' {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if i != 4 && !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// GuessTargets names what a look-up with code and email aims at, for
// limiting wrong guesses (webui.Guesses): the access code however it is
// typed (case, spaces, hyphens) and the email in any case.
func GuessTargets(code, email string) []string {
	code = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	return []string{"code:" + code, "email:" + strings.ToLower(strings.TrimSpace(email))}
}

// OrderByAccessCode finds an order by its access code and the registrant's
// email (case insensitive). Both must match; any mismatch, an empty input
// or an order without a registrant yet is ErrNotFound, and says nothing
// about which part was wrong.
func (m *Models) OrderByAccessCode(ctx context.Context, code, email string) (OrderView, error) {
	code, email = NormalizeAccessCode(code), strings.TrimSpace(email)
	// Codes are printable ASCII; anything else (a NUL byte, which
	// PostgreSQL refuses in text) matches no order, without asking the
	// database.
	if !accessCodeShape(code) || email == "" || len(email) > 320 || !utf8.ValidString(email) || strings.ContainsRune(email, 0) {
		return OrderView{}, fmt.Errorf("order by access code: %w", ErrNotFound)
	}
	rows, err := m.store.DB().QueryContext(ctx, `SELECT `+orderColumns+` FROM rm_orders WHERE access_code = $1`, code)
	if err != nil {
		return OrderView{}, fmt.Errorf("order by access code: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return OrderView{}, fmt.Errorf("order by access code: %w", err)
		}
		if o.email != "" && strings.EqualFold(o.email, email) {
			return m.orderView(o), nil
		}
	}
	if err := rows.Err(); err != nil {
		return OrderView{}, fmt.Errorf("order by access code: %w", err)
	}
	return OrderView{}, fmt.Errorf("order by access code: %w", ErrNotFound)
}

// SeatPosition is one purchased seat of an order, for assignment.
type SeatPosition struct {
	Position     int
	SeatType     uuid.UUID
	SeatTypeName string
	Attendee     registrations.Attendee // zero when unassigned
}

// OrderSeats lists the seats of a confirmed order by position; an order
// without seat assignments (not confirmed yet) has none.
func (m *Models) OrderSeats(ctx context.Context, orderID uuid.UUID) ([]SeatPosition, error) {
	rows, err := m.store.DB().QueryContext(ctx, `SELECT conference_id, position, seat_type, name, email, company, role
		FROM rm_order_seats WHERE order_id = $1 ORDER BY position`, orderID[:])
	if err != nil {
		return nil, fmt.Errorf("seats of order %s: %w", orderID, err)
	}
	defer rows.Close()
	var out []SeatPosition
	for rows.Next() {
		var (
			p          SeatPosition
			conference uuid.UUID
		)
		a := &p.Attendee
		if err := rows.Scan(idCol{&conference}, &p.Position, idCol{&p.SeatType}, &a.Name, &a.Email, &a.Company, &a.Role); err != nil {
			return nil, fmt.Errorf("seats of order %s: %w", orderID, err)
		}
		p.SeatTypeName = m.seatTypeName(conference, p.SeatType)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Page bounds for list queries.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return min(limit, MaxLimit), max(0, offset)
}

// likePattern turns a search text into a LIKE pattern matching it anywhere,
// with LIKE's wildcards taken literally.
func likePattern(q string) string {
	// NUL is no text on PostgreSQL, and no name or email holds one.
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, "\x00", "")
	return "%" + r.Replace(strings.TrimSpace(q)) + "%"
}
