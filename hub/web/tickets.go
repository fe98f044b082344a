package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"conference/badges"
	"conference/shared/registrations"
)

// orderTickets is the PDF of a confirmed order's tickets, one page per
// attendee, for the registrant who may open the order: shown in the
// browser (a phone keeps it for the door) or saved.
func (s *site) orderTickets(c echo.Context) error {
	o, ok, err := s.orderFor(c)
	if !ok || err != nil {
		return err
	}
	if o.Status != registrations.OrderStatusConfirmed {
		return s.notFound(c)
	}
	pdf, err := s.hub.Tickets.PDF(c.Request().Context(), o.OrderID)
	var be *badges.BadgeError
	if errors.As(err, &be) {
		return s.render(c, http.StatusUnprocessableEntity, "error", view{Title: "Tickets", Data: errorPage{
			Heading: "A ticket cannot be printed",
			Message: "The ticket of " + be.Name + " cannot be printed: " + be.Err.Error() + ". Correct the attendee's name and try again.",
		}})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `inline; filename="tickets-`+o.AccessCode+`.pdf"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, badges.ContentType, pdf)
}
