package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/kiosks"
)

// The organizer's kiosks: create one (with its one-time pairing code),
// list them with what sync last heard, revoke one, cancel an unused
// pairing code, and close a seat type's on-site sales. The registry scopes
// kiosks to their organizer; the handlers also check the kiosk is the
// conference's of the path.

// Kiosk states as the API spells them.
const (
	kioskWaiting          = "waiting_for_pairing"
	kioskPairingExpired   = "pairing_expired"
	kioskPairingCancelled = "pairing_cancelled"
	kioskPaired           = "paired"
	kioskRevoked          = "revoked"
)

// kioskJSON is a kiosk as the organizer sees it.
type kioskJSON struct {
	ID               string           `json:"id"`
	Name             string           `json:"name"`
	Status           string           `json:"status"`
	CreatedAt        time.Time        `json:"created_at"`
	PairingExpiresAt *time.Time       `json:"pairing_expires_at"`
	PairedAt         *time.Time       `json:"paired_at"`
	RevokedAt        *time.Time       `json:"revoked_at"`
	LastSeenAt       *time.Time       `json:"last_seen_at"`
	Software         string           `json:"software"`
	PendingUploads   int64            `json:"pending_uploads"`
	Allocations      []allocationJSON `json:"allocations"`
}

// allocationJSON is seats of a seat type a kiosk holds to sell offline.
type allocationJSON struct {
	SeatType uuid.UUID `json:"seat_type"`
	Quantity int       `json:"quantity"`
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toKioskJSON(k kiosks.Kiosk, now time.Time) kioskJSON {
	out := kioskJSON{
		ID: k.ID, Name: k.Name, CreatedAt: k.CreatedAt, PairingExpiresAt: optionalTime(k.PairingExpiresAt),
		PairedAt: optionalTime(k.PairedAt), RevokedAt: optionalTime(k.RevokedAt), LastSeenAt: optionalTime(k.LastSeen),
		Software: k.Software, PendingUploads: k.PendingUploads, Allocations: []allocationJSON{},
	}
	switch {
	case k.Revoked():
		out.Status = kioskRevoked
	case k.Paired():
		out.Status = kioskPaired
	case k.PairingCancelled():
		out.Status = kioskPairingCancelled
	case now.Before(k.PairingExpiresAt):
		out.Status = kioskWaiting
	default:
		out.Status = kioskPairingExpired
	}
	for st, n := range k.Allocations {
		if n != 0 {
			out.Allocations = append(out.Allocations, allocationJSON{SeatType: st, Quantity: n})
		}
	}
	slices.SortFunc(out.Allocations, func(a, b allocationJSON) int { return bytes.Compare(a.SeatType[:], b.SeatType[:]) })
	return out
}

func (a *api) handleListKiosks(c echo.Context) error {
	confID, err := a.ownConference(c)
	if err != nil {
		return err
	}
	list, err := a.h.Kiosks.List(c.Request().Context(), organizerOf(c), confID)
	if err != nil {
		return err
	}
	now := a.h.Now()
	out := make([]kioskJSON, 0, len(list))
	for _, k := range list {
		out = append(out, toKioskJSON(k, now))
	}
	return c.JSON(http.StatusOK, map[string]any{"kiosks": out})
}

// kioskInput is the body of POST .../kiosks.
type kioskInput struct {
	Name string `json:"name"`
}

// createdKioskJSON is a new kiosk with its pairing code: the only time
// the code is shown, since the hub keeps only its hash.
type createdKioskJSON struct {
	Kiosk            kioskJSON `json:"kiosk"`
	PairingCode      string    `json:"pairing_code"`
	PairingExpiresAt time.Time `json:"pairing_expires_at"`
	// PairCommand is what to run on the kiosk machine.
	PairCommand string `json:"pair_command"`
}

func (a *api) handleCreateKiosk(c echo.Context) error {
	confID, err := a.ownConference(c)
	if err != nil {
		return err
	}
	var in kioskInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	created, err := a.h.Kiosks.CreateKiosk(c.Request().Context(), organizerOf(c), confID, in.Name)
	if errors.Is(err, kiosks.ErrInvalid) {
		return invalid("name", "must be 1 to 100 characters")
	}
	if err != nil {
		return err
	}
	scheme := "http"
	if c.IsTLS() {
		scheme = "https"
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, createdKioskJSON{
		Kiosk: toKioskJSON(created.Kiosk, a.h.Now()), PairingCode: created.PairingCode, PairingExpiresAt: created.ExpiresAt,
		PairCommand: fmt.Sprintf("kiosk pair --hub %s://%s --code %s", scheme, c.Request().Host, created.PairingCode),
	})
}

// conferenceKiosk is the :kioskID of the conference of the path.
func (a *api) conferenceKiosk(c echo.Context) (kiosks.Kiosk, error) {
	confID, err := a.ownConference(c)
	if err != nil {
		return kiosks.Kiosk{}, err
	}
	id := c.Param("kioskID")
	if len(id) > 100 {
		return kiosks.Kiosk{}, notFound("kiosk")
	}
	k, err := a.h.Kiosks.Get(c.Request().Context(), organizerOf(c), id)
	if errors.Is(err, kiosks.ErrNotFound) || (err == nil && k.ConferenceID != confID) {
		return k, notFound("kiosk")
	}
	return k, err
}

func (a *api) handleRevokeKiosk(c echo.Context) error {
	return a.kioskAction(c, a.h.Kiosks.Revoke)
}

func (a *api) handleCancelPairing(c echo.Context) error {
	return a.kioskAction(c, a.h.Kiosks.CancelPairing)
}

// kioskAction does something to the conference's kiosk and answers with
// the kiosk as it is afterwards.
func (a *api) kioskAction(c echo.Context, act func(ctx context.Context, organizerID uuid.UUID, kioskID string) error) error {
	k, err := a.conferenceKiosk(c)
	if err != nil {
		return err
	}
	if err := noBody(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := act(ctx, organizerOf(c), k.ID); err != nil {
		return err
	}
	if k, err = a.h.Kiosks.Get(ctx, organizerOf(c), k.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toKioskJSON(k, a.h.Now()))
}

// onSiteSalesClosedJSON is what closing a seat type's on-site sales did.
type onSiteSalesClosedJSON struct {
	SeatType seatTypeJSON `json:"seat_type"`
	// Returned are the unsold seats taken back from each kiosk.
	Returned []returnedSeatsJSON `json:"returned"`
	Total    int                 `json:"total"`
}

type returnedSeatsJSON struct {
	KioskID  string `json:"kiosk_id"`
	Quantity int    `json:"quantity"`
}

// handleCloseOnSiteSales stops the conference's kiosks selling a seat type
// and takes their unsold leases back (hubapp.Hub.CloseOnSiteSales).
func (a *api) handleCloseOnSiteSales(c echo.Context) error {
	ctx := c.Request().Context()
	confID, err := a.ownConference(c)
	if err != nil {
		return err
	}
	stID, err := pathID(c, "seatTypeID", "seat type")
	if err != nil {
		return err
	}
	if err := noBody(c); err != nil {
		return err
	}
	closed, err := a.h.CloseOnSiteSales(ctx, organizerOf(c), confID, stID)
	if err != nil {
		return err
	}
	counts, err := a.reads.seatCounts(ctx, confID)
	if err != nil {
		return err
	}
	out := onSiteSalesClosedJSON{SeatType: organizerSeatType(closed.SeatType, counts[stID]), Returned: []returnedSeatsJSON{}, Total: closed.Total()}
	for kiosk, n := range closed.Returned {
		out.Returned = append(out.Returned, returnedSeatsJSON{KioskID: kiosk, Quantity: n})
	}
	slices.SortFunc(out.Returned, func(a, b returnedSeatsJSON) int { return strings.Compare(a.KioskID, b.KioskID) })
	return c.JSON(http.StatusOK, out)
}
