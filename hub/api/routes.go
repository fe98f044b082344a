package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// routes is the whole API surface; openapi.yaml documents exactly these.
func (a *api) routes(e *echo.Echo) {
	g := e.Group(Prefix, a.errors)
	// The printed API URL, with and without its slash.
	e.GET(Prefix, a.handleIndex, a.errors)
	g.GET("/", a.handleIndex)
	g.GET("/openapi.yaml", a.handleOpenAPI)
	g.GET("/docs", a.handleReference)

	// Public: registrants.
	g.GET("/conferences", a.handleListPublished)
	g.GET("/conferences/:slug", a.handleGetPublished)
	g.POST("/conferences/:slug/orders", a.handlePlaceOrder)
	g.POST("/conferences/:slug/waitlist", a.handleJoinWaitlist)
	g.GET("/conferences/:slug/waitlist/offers/:entryID", a.handleGetWaitlistOffer)
	g.POST("/conferences/:slug/waitlist/offers/:entryID/take", a.handleTakeWaitlistOffer)
	g.POST("/conferences/:slug/waitlist/offers/:entryID/decline", a.handleDeclineWaitlistOffer)
	g.POST("/orders/lookup", a.handleLookupOrder)
	g.GET("/orders/:orderID", a.handleGetOrder, a.orderAccess)
	g.PUT("/orders/:orderID/registrant", a.handleSetRegistrant, a.orderAccess)
	g.POST("/orders/:orderID/payment", a.handleStartPayment, a.orderAccess)
	g.GET("/orders/:orderID/seats", a.handleGetSeats, a.orderAccess)
	g.PUT("/orders/:orderID/seats", a.handleAssignSeats, a.orderAccess)
	g.POST("/orders/:orderID/cancel", a.handleCancelOwnOrder, a.orderAccess)
	// The fake processor's accept/reject pages, as JSON, so tests and the
	// bench complete orders without a browser.
	g.GET("/payments/:paymentID", a.handleGetPayment)
	g.POST("/payments/:paymentID/accept", a.handleAcceptPayment)
	g.POST("/payments/:paymentID/reject", a.handleRejectPayment)

	// Organizers: API token, own conferences only.
	o := g.Group("/organizer", a.organizerAuth)
	o.GET("/conferences", a.handleListConferences)
	o.POST("/conferences", a.handleCreateConference)
	o.GET("/conferences/:conferenceID", a.handleGetConference)
	o.PUT("/conferences/:conferenceID", a.handleUpdateConference)
	o.POST("/conferences/:conferenceID/publish", a.handlePublish)
	o.POST("/conferences/:conferenceID/unpublish", a.handleUnpublish)
	o.GET("/conferences/:conferenceID/seat-types", a.handleListSeatTypes)
	o.POST("/conferences/:conferenceID/seat-types", a.handleAddSeatType)
	o.PUT("/conferences/:conferenceID/seat-types/:seatTypeID", a.handleUpdateSeatType)
	o.GET("/conferences/:conferenceID/orders", a.handleListOrders)
	o.GET("/conferences/:conferenceID/orders/:orderID", a.handleGetConferenceOrder)
	o.POST("/conferences/:conferenceID/orders/:orderID/cancel", a.handleCancelOrder)
	o.GET("/conferences/:conferenceID/attendees", a.handleListAttendees)
	o.GET("/conferences/:conferenceID/promo-codes", a.handleListPromoCodes)
	o.POST("/conferences/:conferenceID/promo-codes", a.handleAddPromoCode)
	o.PUT("/conferences/:conferenceID/promo-codes/:promoCodeID", a.handleUpdatePromoCode)
	o.DELETE("/conferences/:conferenceID/promo-codes/:promoCodeID", a.handleWithdrawPromoCode)
	o.GET("/conferences/:conferenceID/kiosks", a.handleListKiosks)
	o.POST("/conferences/:conferenceID/kiosks", a.handleCreateKiosk)
	o.POST("/conferences/:conferenceID/kiosks/:kioskID/revoke", a.handleRevokeKiosk)
	o.POST("/conferences/:conferenceID/kiosks/:kioskID/cancel-pairing", a.handleCancelPairing)
	o.POST("/conferences/:conferenceID/seat-types/:seatTypeID/close-on-site-sales", a.handleCloseOnSiteSales)
	o.GET("/conferences/:conferenceID/conflicts", a.handleListConflicts)
	o.POST("/conferences/:conferenceID/conflicts/:number/resolve", a.handleResolveConflict)
	o.GET("/conferences/:conferenceID/duplicate-check-ins", a.handleListDuplicateCheckIns)
	o.GET("/conferences/:conferenceID/waitlist", a.handleListWaitlist)
	o.GET("/conferences/:conferenceID/attendance", a.handleAttendance)
	o.GET("/conferences/:conferenceID/check-ins", a.handleListCheckIns)

	a.methodNotAllowed(e, g)
}

// methodNotAllowedName names the handler of the 405 routes, so route
// listings (the OpenAPI test) can tell them from real endpoints.
const methodNotAllowedName = "api.methodNotAllowed"

// methodNotAllowed answers every other method on a known path with a JSON
// 405: echo's own 405 would bypass the group's error middleware.
func (a *api) methodNotAllowed(e *echo.Echo, g *echo.Group) {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	byPath := map[string][]string{}
	var paths []string
	for _, r := range e.Routes() {
		if (r.Path != Prefix && !strings.HasPrefix(r.Path, Prefix+"/")) || !slices.Contains(methods, r.Method) {
			continue
		}
		p := strings.TrimPrefix(r.Path, Prefix)
		if _, ok := byPath[p]; !ok {
			paths = append(paths, p)
		}
		byPath[p] = append(byPath[p], r.Method)
	}
	slices.Sort(paths)
	for _, p := range paths {
		allowed := byPath[p]
		for _, m := range methods {
			if slices.Contains(allowed, m) {
				continue
			}
			r := g.Add(m, p, func(c echo.Context) error {
				return apiErr(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "", "%s is not allowed here", c.Request().Method)
			})
			r.Name = methodNotAllowedName
		}
	}
}
