package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/kiosks"
	"conference/hub/readmodels"
	"conference/shared/registrations"
)

// The organizer's side of the venue: kiosks (create with a one-time
// pairing code, list, revoke) and what sync surfaces (seat-quota conflicts
// to resolve, duplicate check-ins). Each kiosk and conflict is reached
// through the conference loadConference already checked is the
// organizer's, and the registry scopes kiosks to the organizer again.

type kioskRow struct {
	kiosks.Kiosk
	Allocations []allocationLine
	// Sync is where a paired kiosk stands with the hub (nil otherwise).
	Sync *hubapp.KioskSync
}

type allocationLine struct {
	Name     string
	Quantity int
}

// onSiteSales is one seat type in the kiosks page's on-site sales list.
type onSiteSales struct {
	ID       uuid.UUID
	Name     string
	Sellable bool
	// Leased is how many seats the conference's kiosks hold unsold.
	Leased int
}

type kiosksPage struct {
	Kiosks []kioskRow
	OnSite []onSiteSales
	Form   *form
	Now    time.Time
}

func (s *site) kioskList(c echo.Context) error {
	return s.renderKiosks(c, http.StatusOK, newForm(nil))
}

func (s *site) renderKiosks(c echo.Context, status int, f *form) error {
	conf := conferenceOf(c)
	ctx := c.Request().Context()
	list, err := s.hub.Kiosks.List(ctx, organizerOf(c).ID, conf.ID)
	if err != nil {
		return err
	}
	names := s.seatTypeNames(ctx, conf)
	p := kiosksPage{Form: f, Now: s.now()}
	leased := map[uuid.UUID]int{}
	for _, k := range list {
		row := kioskRow{Kiosk: k}
		if k.Paired() && !k.Revoked() {
			st, err := s.hub.KioskSync(ctx, k)
			if err != nil {
				return err
			}
			row.Sync = &st
		}
		for st, n := range k.Allocations {
			if n != 0 {
				row.Allocations = append(row.Allocations, allocationLine{Name: names[st], Quantity: n})
				leased[st] += n
			}
		}
		p.Kiosks = append(p.Kiosks, row)
	}
	sts, err := s.hub.Conferences.ListSeatTypes(ctx, conf.OrganizerID, conf.ID)
	if err != nil {
		return err
	}
	for _, st := range sts {
		if st.OnSite.SellableAtKiosks || leased[st.ID] > 0 {
			p.OnSite = append(p.OnSite, onSiteSales{ID: st.ID, Name: st.Name, Sellable: st.OnSite.SellableAtKiosks, Leased: leased[st.ID]})
		}
	}
	return s.render(c, status, "org_kiosks", view{Title: "Kiosks · " + conf.Name, Section: "kiosks", Conference: conf, Data: p})
}

func (s *site) seatTypeNames(ctx context.Context, conf *conferences.Conference) map[uuid.UUID]string {
	names := map[uuid.UUID]string{}
	if sts, err := s.hub.Conferences.ListSeatTypes(ctx, conf.OrganizerID, conf.ID); err == nil {
		for _, st := range sts {
			names[st.ID] = st.Name
		}
	}
	return names
}

// kioskCreated is the one page that shows a pairing code: the hub keeps
// only its hash.
type kioskCreated struct {
	Kiosk     kiosks.Kiosk
	Code      string
	ExpiresAt time.Time
	Command   string
	QR        template.URL
}

func (s *site) createKiosk(c echo.Context) error {
	conf := conferenceOf(c)
	f := newForm(formValues(c))
	name := strings.TrimSpace(f.Get("name"))
	if name == "" {
		f.Fail("name", "Give the kiosk a name staff recognise, e.g. “Front desk 1”.")
		return s.renderKiosks(c, http.StatusUnprocessableEntity, f)
	}
	created, err := s.hub.Kiosks.CreateKiosk(c.Request().Context(), organizerOf(c).ID, conf.ID, name)
	switch {
	case errors.Is(err, kiosks.ErrInvalid):
		f.Fail("name", "A kiosk name is 1 to 100 characters.")
		return s.renderKiosks(c, http.StatusUnprocessableEntity, f)
	case errors.Is(err, kiosks.ErrNotFound):
		return s.notFound(c)
	case err != nil:
		return err
	}
	scheme := "http"
	if c.IsTLS() {
		scheme = "https"
	}
	cmd := fmt.Sprintf("kiosk pair --hub %s://%s --code %s", scheme, c.Request().Host, created.PairingCode)
	img, err := qrDataURL(cmd)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusCreated, "org_kiosk_created", view{Title: "Kiosk created · " + conf.Name, Section: "kiosks", Conference: conf,
		Data: kioskCreated{Kiosk: created.Kiosk, Code: created.PairingCode, ExpiresAt: created.ExpiresAt, Command: cmd, QR: img}})
}

// qrDataURL renders text as a QR code PNG inlined in the page (the page's
// CSP allows data: images): nothing to fetch, and the code never reaches a
// URL or a log.
func qrDataURL(text string) (template.URL, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("pairing QR: %w", err)
	}
	if code, err = barcode.Scale(code, 264, 264); err != nil {
		return "", fmt.Errorf("pairing QR: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return "", fmt.Errorf("pairing QR: %w", err)
	}
	// The URL is built here from our own PNG bytes, never from input.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// conferenceKiosk finds :kid among the conference's kiosks.
func (s *site) conferenceKiosk(c echo.Context) (kiosks.Kiosk, bool, error) {
	k, err := s.hub.Kiosks.Get(c.Request().Context(), organizerOf(c).ID, c.Param("kid"))
	if errors.Is(err, kiosks.ErrNotFound) || (err == nil && k.ConferenceID != conferenceOf(c).ID) {
		return k, false, s.notFound(c)
	}
	if err != nil {
		return k, false, err
	}
	return k, true, nil
}

func (s *site) revokeKiosk(c echo.Context) error {
	return s.kioskAction(c, s.hub.Kiosks.Revoke, "Kiosk “%s” revoked: it is disconnected and refused from now on. What it recorded and sent stays.")
}

// cancelPairing withdraws a kiosk's unused pairing code (a code read out
// to the wrong person, a kiosk no longer needed).
func (s *site) cancelPairing(c echo.Context) error {
	return s.kioskAction(c, s.hub.Kiosks.CancelPairing, "Pairing code of “%s” cancelled: it pairs nothing now. Create another kiosk for a new code.")
}

// kioskAction does something to the conference's kiosk :kid, then says so
// (done is a message with the kiosk's name for %s) on the kiosks page.
func (s *site) kioskAction(c echo.Context, act func(ctx context.Context, organizerID uuid.UUID, kioskID string) error, done string) error {
	k, ok, err := s.conferenceKiosk(c)
	if !ok || err != nil {
		return err
	}
	if err := act(c.Request().Context(), organizerOf(c).ID, k.ID); err != nil {
		if errors.Is(err, kiosks.ErrNotFound) {
			return s.notFound(c)
		}
		return err
	}
	s.flash.Set(c, fmt.Sprintf(done, k.Name))
	return redirect(c, confURL(conferenceOf(c).ID, "/kiosks"))
}

// closeOnSiteSales stops the conference's kiosks selling a seat type and
// takes their unsold leases back (hubapp.Hub.CloseOnSiteSales); both are
// events the kiosks receive when they sync.
func (s *site) closeOnSiteSales(c echo.Context) error {
	conf := conferenceOf(c)
	id, err := uuid.Parse(c.Param("sid"))
	if err != nil {
		return s.notFound(c)
	}
	closed, err := s.hub.CloseOnSiteSales(c.Request().Context(), organizerOf(c).ID, conf.ID, id)
	switch {
	case errors.Is(err, conferences.ErrNotFound):
		return s.notFound(c)
	case err != nil:
		return err
	}
	s.flash.Set(c, fmt.Sprintf("On-site sales of “%s” closed: kiosks stop selling it as soon as they sync, and %d unsold leased seats are back on sale. Seats kiosks already sold stand.",
		closed.SeatType.Name, closed.Total()))
	return redirect(c, confURL(conf.ID, "/kiosks"))
}

// resolutionKinds are the resolutions offered, in the order shown.
var resolutionKinds = []option{
	{string(registrations.ResolveRaiseQuota), "Raise the quota to hold the seats"},
	{string(registrations.ResolveMoveSeats), "Move the seats to another seat type"},
	{string(registrations.ResolveWaitlist), "Take the seats back, refund, and put the buyer on the waitlist"},
	{string(registrations.ResolveRefund), "Take the seats back and refund"},
}

type conflictsPage struct {
	Conflicts  []readmodels.SeatConflictView
	Duplicates []readmodels.DuplicateCheckInView
	SeatTypes  []option
	Kinds      []option
	// KioskNames names the kiosks of the conference by id.
	KioskNames map[string]string
	// Failed is the conflict whose resolution was refused, with Form.
	Failed int
	Form   *form
}

// Kiosk names a kiosk for the organizer: its name, or its id when it is
// not one of the conference's kiosks (a check-in recorded at the hub).
func (p conflictsPage) Kiosk(id string) string {
	if n, ok := p.KioskNames[id]; ok {
		return n
	}
	return id
}

func (s *site) conflictList(c echo.Context) error {
	return s.renderConflicts(c, http.StatusOK, 0, newForm(nil))
}

func (s *site) renderConflicts(c echo.Context, status, failed int, f *form) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	ctx := c.Request().Context()
	p := conflictsPage{Kinds: resolutionKinds, Failed: failed, Form: f, KioskNames: map[string]string{}}
	ks, err := s.hub.Kiosks.List(ctx, organizerOf(c).ID, conf.ID)
	if err != nil {
		return err
	}
	for _, k := range ks {
		p.KioskNames[k.ID] = k.Name
	}
	if p.Conflicts, err = s.reads.SeatConflicts(ctx, conf.ID); err != nil {
		return err
	}
	if p.Duplicates, err = s.reads.DuplicateCheckIns(ctx, conf.ID); err != nil {
		return err
	}
	sts, err := s.hub.Conferences.ListSeatTypes(ctx, organizerOf(c).ID, conf.ID)
	if err != nil {
		return err
	}
	for _, st := range sts {
		p.SeatTypes = append(p.SeatTypes, option{st.ID.String(), st.Name})
	}
	return s.render(c, status, "org_conflicts", view{Title: "Conflicts · " + conf.Name, Section: "conflicts", Conference: conf, Data: p})
}

// resolveConflict records the organizer's resolution; the resolution is an
// event that sync carries to the kiosks.
func (s *site) resolveConflict(c echo.Context) error {
	conf := conferenceOf(c)
	number, err := strconv.Atoi(c.Param("num"))
	if err != nil || number < 1 {
		return s.notFound(c)
	}
	ctx := c.Request().Context()
	f := newForm(formValues(c))
	res := registrations.Resolution{Kind: registrations.ResolutionKind(f.Get("kind")), Note: strings.TrimSpace(f.Get("note"))}
	if len(res.Note) > 500 {
		f.Fail("note", "Keep the note under 500 characters.")
	}
	known := false
	for _, k := range resolutionKinds {
		known = known || k.Value == string(res.Kind)
	}
	if !known {
		f.Fail("kind", "Choose how to resolve the conflict.")
	}
	if res.Kind == registrations.ResolveMoveSeats {
		if res.ToSeatType, err = uuid.Parse(f.Get("to_seat_type")); err != nil {
			f.Fail("to_seat_type", "Choose the seat type to move the seats to.")
		}
	}
	if !f.OK() {
		return s.renderConflicts(c, http.StatusUnprocessableEntity, number, f)
	}
	_, err = s.hub.ResolveSeatConflict(ctx, organizerOf(c).ID, conf.ID, number, res)
	switch {
	case err == nil:
		s.flash.Set(c, fmt.Sprintf("Conflict %d resolved. Kiosks receive the resolution when they sync.", number))
	case errors.Is(err, registrations.ErrConflictNotFound), errors.Is(err, conferences.ErrNotFound):
		return s.notFound(c)
	case errors.Is(err, registrations.ErrConflictResolved):
		s.flash.Set(c, fmt.Sprintf("Conflict %d was already resolved.", number))
	case errors.Is(err, registrations.ErrNotEnoughSeats):
		f.Fail("to_seat_type", "That seat type has not enough free seats for them. Raise its quota first, or choose another resolution.")
		return s.renderConflicts(c, http.StatusUnprocessableEntity, number, f)
	case registrations.ErrorCode(err) == registrations.CodeInvalid || registrations.ErrorCode(err) == registrations.CodeNotFound:
		var de *registrations.Error
		errors.As(err, &de)
		f.Fail("to_seat_type", capitalize(de.Message)+".")
		return s.renderConflicts(c, http.StatusUnprocessableEntity, number, f)
	default:
		return err
	}
	// Read your write: the list comes from the read models.
	if head, err := s.hub.Store.Head(ctx); err == nil {
		_ = s.reads.WaitFor(ctx, head)
	}
	return redirect(c, confURL(conf.ID, "/conflicts"))
}
