package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	registrationsapp "conference/hub/registrations"
	"conference/shared/registrations"
)

// HeaderAccessCode carries an order's access code on the registrant's
// order endpoints: the order id names the order, the code proves the
// caller placed it (or was told the code by whoever did).
const HeaderAccessCode = "X-Access-Code"

const orderKey = "api.order"

// orderAccess admits a request to /orders/{orderID}/... only with the
// order's access code. A wrong code answers 404 like an unknown order and
// costs one guess at that order and one of the client IP (a.guesses);
// once either has none left it gets 429 whatever it sends. The right code
// costs nothing, however many arrive at once.
func (a *api) orderAccess(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "orderID", "order")
		if err != nil {
			return err
		}
		guess, wait := a.guesses.Try(a.clientIP(c), "order:"+id.String())
		if guess == nil {
			return rateLimited(wait)
		}
		code := c.Request().Header.Get(HeaderAccessCode)
		view, err := a.h.Registrations.GetOrder(c.Request().Context(), id)
		if registrations.ErrorCode(err) == registrations.CodeNotFound || (err == nil && !sameCode(view.AccessCode, code)) {
			guess.Wrong()
			return notFound("order")
		}
		if err != nil {
			return err
		}
		c.Set(orderKey, view)
		return next(c)
	}
}

// sameCode compares access codes as people type them (case, spaces, the
// optional hyphen) in constant time.
func sameCode(want, got string) bool {
	norm := func(s string) string {
		return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
	}
	w, g := norm(want), norm(got)
	return w != "" && subtle.ConstantTimeCompare([]byte(w), []byte(g)) == 1
}

func orderOf(c echo.Context) registrationsapp.OrderView {
	v, _ := c.Get(orderKey).(registrationsapp.OrderView)
	return v
}

// orderJSON is an order as the registrant and the organizer see it.
type orderJSON struct {
	OrderID      uuid.UUID           `json:"order_id"`
	ConferenceID uuid.UUID           `json:"conference_id"`
	Status       string              `json:"status"`
	AccessCode   string              `json:"access_code,omitempty"`
	Requested    registrations.Seats `json:"requested"`
	// Reserved is what was really held for the order; Partial says it is
	// less than Requested.
	Reserved       registrations.Seats `json:"reserved"`
	Partial        bool                `json:"partial"`
	Lines          []orderLineJSON     `json:"lines"`
	Subtotal       registrations.Money `json:"subtotal"`
	Discount       registrations.Money `json:"discount"`
	Total          registrations.Money `json:"total"`
	PromoCode      string              `json:"promo_code,omitempty"`
	ExpiresAt      *time.Time          `json:"expires_at,omitempty"`
	Registrant     *registrantJSON     `json:"registrant,omitempty"`
	PaymentPending bool                `json:"payment_pending"`
	// Reason says why a rejected order was turned down.
	Reason string `json:"reason,omitempty"`
}

type orderLineJSON struct {
	SeatType  uuid.UUID           `json:"seat_type"`
	Name      string              `json:"name,omitempty"`
	Quantity  int                 `json:"quantity"`
	UnitPrice registrations.Money `json:"unit_price"`
	Total     registrations.Money `json:"total"`
}

type registrantJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func toOrderJSON(v registrationsapp.OrderView, withCode bool) orderJSON {
	out := orderJSON{
		OrderID: v.OrderID, ConferenceID: v.ConferenceID, Status: string(v.Status),
		Requested: nonNil(v.Requested), Reserved: nonNil(v.Reserved), Partial: v.Partial,
		Lines: make([]orderLineJSON, 0, len(v.Quote.Lines)), Subtotal: v.Quote.Subtotal, Discount: v.Quote.Discount,
		Total: v.Quote.Total, PromoCode: v.Quote.PromoCode, PaymentPending: v.PaymentPending, Reason: v.Reason,
	}
	for _, l := range v.Quote.Lines {
		out.Lines = append(out.Lines, orderLineJSON{SeatType: l.SeatType, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Total: l.Total})
	}
	if withCode {
		out.AccessCode = v.AccessCode
	}
	if !v.ExpiresAt.IsZero() && (v.Status == registrations.OrderStatusReserved || v.Status == registrations.OrderStatusExpired) {
		t := v.ExpiresAt.UTC()
		out.ExpiresAt = &t
	}
	if v.Name != "" || v.Email != "" {
		out.Registrant = &registrantJSON{Name: v.Name, Email: v.Email}
	}
	return out
}

func nonNil(s registrations.Seats) registrations.Seats {
	if s == nil {
		return registrations.Seats{}
	}
	return s
}

// handleGetOrder answers an order's status. With ?wait_while=STATUS it is
// a long poll: it answers as soon as the order leaves STATUS (or after
// ?wait=SECONDS, at most Options.MaxWait), so a client follows
// pending -> reserved -> confirmed without polling.
func (a *api) handleGetOrder(c echo.Context) error {
	view := orderOf(c)
	q := c.QueryParams()
	while := q.Get("wait_while")
	if while == "" {
		return c.JSON(http.StatusOK, toOrderJSON(view, false))
	}
	if !knownStatus(while) {
		return invalid("wait_while", "must be an order status: pending, reserved, confirmed, expired, rejected or cancelled")
	}
	wait := a.opts.MaxWait
	if s := q.Get("wait"); s != "" {
		secs, err := strconv.ParseFloat(s, 64)
		if err != nil || secs < 0 || secs != secs {
			return invalid("wait", "must be a number of seconds")
		}
		wait = min(wait, time.Duration(secs*float64(time.Second)))
	}
	view, err := a.waitWhile(c.Request().Context(), view, registrations.OrderStatus(while), wait)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toOrderJSON(view, false))
}

func knownStatus(s string) bool {
	switch registrations.OrderStatus(s) {
	case registrations.OrderStatusPending, registrations.OrderStatusReserved, registrations.OrderStatusConfirmed,
		registrations.OrderStatusExpired, registrations.OrderStatusRejected, registrations.OrderStatusCancelled:
		return true
	}
	return false
}

func (a *api) waitWhile(ctx context.Context, view registrationsapp.OrderView, status registrations.OrderStatus, wait time.Duration) (registrationsapp.OrderView, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	stream := registrations.OrderStreamID(view.OrderID)
	for view.Status == status {
		changed, stop := a.h.Store.WatchStream(stream)
		fresh, err := a.h.Registrations.GetOrder(ctx, view.OrderID)
		if err != nil {
			stop()
			if ctx.Err() != nil {
				return view, nil // waited long enough: answer what is known
			}
			return view, err
		}
		view = fresh
		if view.Status != status {
			stop()
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
		}
		stop()
		if ctx.Err() != nil {
			return view, nil
		}
	}
	return view, nil
}

// registrantInput is the body of PUT /orders/{id}/registrant.
type registrantInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (a *api) handleSetRegistrant(c echo.Context) error {
	view := orderOf(c)
	var in registrantInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := a.h.Registrations.SetRegistrant(c.Request().Context(), view.OrderID, in.Name, in.Email); err != nil {
		return orderError(view, err)
	}
	return a.answerOrder(c, view.OrderID, http.StatusOK)
}

// handleCancelOwnOrder lets a registrant cancel their order; seats go back
// and what was paid is refunded by the process.
func (a *api) handleCancelOwnOrder(c echo.Context) error {
	view := orderOf(c)
	var in cancelInput
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	if err := a.h.Registrations.CancelOrder(c.Request().Context(), view.OrderID, in.reason("cancelled by the registrant")); err != nil {
		return orderError(view, err)
	}
	return a.answerOrder(c, view.OrderID, http.StatusOK)
}

type cancelInput struct {
	Reason string `json:"reason"`
}

func (in cancelInput) reason(def string) string {
	r := strings.TrimSpace(in.Reason)
	if r == "" {
		return def
	}
	if len(r) > 500 {
		r = r[:500]
	}
	return r
}

// answerOrder re-reads the order after a change and answers it.
func (a *api) answerOrder(c echo.Context, orderID uuid.UUID, status int) error {
	v, err := a.h.Registrations.GetOrder(c.Request().Context(), orderID)
	if err != nil {
		return err
	}
	return c.JSON(status, toOrderJSON(v, false))
}

// orderError tells an expired order apart from the other closed ones: the
// registrant's next step differs (order again, rather than ask support).
func orderError(view registrationsapp.OrderView, err error) error {
	if errors.Is(err, registrations.ErrOrderClosed) && view.Status == registrations.OrderStatusExpired {
		return apiErr(http.StatusConflict, CodeOrderExpired, "", "the order's reservation expired; place a new order")
	}
	return err
}
