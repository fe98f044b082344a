package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/payments"
	"conference/shared/registrations"
)

// paymentJSON is a payment attempt at the fake processor, with where to
// pay it: a real gateway would answer a page URL; the fake one's accept
// and reject endpoints stand for the registrant's choice there.
type paymentJSON struct {
	PaymentID uuid.UUID           `json:"payment_id"`
	OrderID   uuid.UUID           `json:"order_id"`
	Attempt   int                 `json:"attempt"`
	Amount    registrations.Money `json:"amount"`
	Status    payments.Status     `json:"status"`
	URL       string              `json:"payment_url"`
	AcceptURL string              `json:"accept_url"`
	RejectURL string              `json:"reject_url"`
}

func toPaymentJSON(p payments.Payment) paymentJSON {
	url := Prefix + "/payments/" + p.ID.String()
	return paymentJSON{
		PaymentID: p.ID, OrderID: p.OrderID, Attempt: p.Attempt, Amount: p.Amount, Status: p.Status,
		URL: url, AcceptURL: url + "/accept", RejectURL: url + "/reject",
	}
}

// paymentWait bounds how long "start payment" waits for the processor to
// have opened the payment: the process asks for it right after reserving,
// through the bus, so it normally exists within milliseconds.
const paymentWait = 3 * time.Second

// handleStartPayment returns the payment to pay for a reserved order,
// opening a new attempt after a rejected one.
func (a *api) handleStartPayment(c echo.Context) error {
	ctx := c.Request().Context()
	order := orderOf(c)
	if err := noBody(c); err != nil {
		return err
	}
	switch order.Status {
	case registrations.OrderStatusPending:
		return apiErr(http.StatusConflict, CodePaymentNotReady, "", "the order's seats are not reserved yet; try again in a moment")
	case registrations.OrderStatusExpired:
		return orderError(order, registrations.ErrOrderClosed)
	case registrations.OrderStatusRejected, registrations.OrderStatusCancelled:
		return apiErr(http.StatusConflict, CodeOrderClosed, "", "the order is %s", order.Status)
	}
	if order.Quote.Total.IsZero() {
		return apiErr(http.StatusConflict, CodePaymentNotReady, "", "the order is free: there is nothing to pay")
	}
	if order.Name == "" || order.Email == "" {
		// The process opens the payment only once someone can be reached.
		return fmt.Errorf("start payment of order %s: %w", order.OrderID, registrations.ErrRegistrantMissing)
	}
	p, err := a.h.Payments.StartWithin(ctx, order.OrderID, paymentWait)
	if errors.Is(err, payments.ErrNotFound) {
		return apiErr(http.StatusConflict, CodePaymentNotReady, "", "the payment is not open yet; try again in a moment")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPaymentJSON(p))
}

func (a *api) handleGetPayment(c echo.Context) error {
	id, err := pathID(c, "paymentID", "payment")
	if err != nil {
		return err
	}
	p, err := a.h.Payments.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPaymentJSON(p))
}

func (a *api) handleAcceptPayment(c echo.Context) error {
	return a.decidePayment(c, a.h.Payments.Accept)
}

func (a *api) handleRejectPayment(c echo.Context) error {
	return a.decidePayment(c, a.h.Payments.Reject)
}

func (a *api) decidePayment(c echo.Context, decide func(context.Context, uuid.UUID) (payments.Payment, error)) error {
	id, err := pathID(c, "paymentID", "payment")
	if err != nil {
		return err
	}
	if err := noBody(c); err != nil {
		return err
	}
	p, err := decide(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPaymentJSON(p))
}
