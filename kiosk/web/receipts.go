package web

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/kiosk"
	"conference/kiosk/readmodel"
	"conference/shared/onsite"
	"conference/shared/webui"
)

// receipt is the confirmation of an action that printed a badge, sold
// seats or scanned a badge: what was recorded, and the badge PDF when the
// browser shows it. Actions redirect to it, so reloading never repeats
// them.
type receipt struct {
	ID string
	// Path is the receipt's page: /receipts/<id>, or /sales/<order id>
	// for a walk-up sale, whose receipt the kiosk can draw again from its
	// log (after a restart too).
	Path      string
	created   time.Time
	Heading   string
	Attendee  readmodel.AttendeeView
	CheckedIn bool
	Badge     *kiosk.PrintResult
	Sale      *kiosk.WalkUpResult
	// Past names the seats sold beyond the allocation.
	Past string
	// Warning says what of a recorded sale could not be finished.
	Warning string
	// Scan is a scanned badge's verdict; VerifyOnly when it came from the
	// verify page, which checks nobody in.
	Scan       *kiosk.ScanResult
	VerifyOnly bool
	// Printer: badges go to a print queue here; otherwise they open as a
	// PDF.
	Printer bool
}

// Trouble reports a receipt that must not read as all done: part of a
// sale unfinished, or a badge the printer refused.
func (r *receipt) Trouble() bool {
	return r.Warning != "" || (r.Badge != nil && r.Badge.PrintError != nil)
}

// LastCheckIn is the check-in this action recorded (the attendee's latest).
func (r *receipt) LastCheckIn() *onsite.CheckInRecord {
	n := len(r.Attendee.CheckIns)
	if n == 0 {
		return nil
	}
	return &r.Attendee.CheckIns[n-1]
}

// Receipts are kept in memory for a while: they hold badge PDFs (personal
// data) and are only needed right after the action.
const (
	receiptTTL  = 30 * time.Minute
	maxReceipts = 64
)

type receipts struct {
	mu    sync.Mutex
	m     map[string]*receipt
	order []string
	now   func() time.Time
	// printer: the kiosk has a print queue.
	printer bool
}

func newReceipts(now func() time.Time, printer bool) *receipts {
	return &receipts{m: map[string]*receipt{}, now: now, printer: printer}
}

func (rs *receipts) add(r *receipt) *receipt {
	r.ID = webui.NewToken()
	r.Path = "/receipts/" + r.ID
	return rs.put(r)
}

// addSale keeps a walk-up sale's receipt under its order id.
func (rs *receipts) addSale(orderID uuid.UUID, r *receipt) *receipt {
	r.ID = orderID.String()
	r.Path = "/sales/" + r.ID
	return rs.put(r)
}

func (rs *receipts) put(r *receipt) *receipt {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r.created = rs.now()
	r.Printer = rs.printer
	if _, ok := rs.m[r.ID]; ok {
		rs.order = slices.DeleteFunc(rs.order, func(id string) bool { return id == r.ID })
	}
	rs.m[r.ID] = r
	rs.order = append(rs.order, r.ID)
	for len(rs.order) > maxReceipts || (len(rs.order) > 0 && rs.now().Sub(rs.m[rs.order[0]].created) > receiptTTL) {
		delete(rs.m, rs.order[0])
		rs.order = rs.order[1:]
	}
	return r
}

func (rs *receipts) get(id string) (*receipt, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r, ok := rs.m[id]
	if !ok || rs.now().Sub(r.created) > receiptTTL {
		return nil, false
	}
	return r, true
}

func (s *site) receiptPage(c echo.Context) error {
	r, ok := s.receipts.get(c.Param("id"))
	if !ok {
		return s.render(c, http.StatusNotFound, "error", view{Title: "Not found", Data: errorData{Heading: "This confirmation is gone",
			Message: "Confirmations are kept for 30 minutes. What was recorded is on the attendee's page: search for them."}})
	}
	return s.render(c, http.StatusOK, "receipt", view{Title: r.Heading, Section: "find", Data: r})
}

// salePage shows a walk-up sale's receipt: the one kept since the sale,
// else drawn again from the kiosk's log (after a restart, or once the kept
// one expired).
func (s *site) salePage(c echo.Context) error {
	r, err := s.saleReceipt(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "receipt", view{Title: r.Heading, Section: "find", Data: r})
}

func (s *site) saleReceipt(c echo.Context) (*receipt, error) {
	orderID, err := uuid.Parse(c.Param("order"))
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such sale.")
	}
	if r, ok := s.receipts.get(orderID.String()); ok {
		return r, nil
	}
	res, err := s.k.WalkUpReceipt(c.Request().Context(), orderID)
	if err != nil {
		return nil, err
	}
	heading := "Walk-up sale"
	if res.Outcome == kiosk.SalePendingHub {
		heading = "Walk-up sale, pending hub confirmation"
	}
	r := &receipt{Heading: heading, Sale: &res, Attendee: res.Attendee, CheckedIn: res.Attendee.CheckedIn(), Badge: res.Badge}
	r.Past = s.pastNames(res.Attendee.ConferenceID, res.PastAllocation)
	return s.receipts.addSale(orderID, r), nil
}

// saleBadgePDF serves a walk-up sale's badge, drawn again if need be.
func (s *site) saleBadgePDF(c echo.Context) error {
	r, err := s.saleReceipt(c)
	if err != nil {
		return err
	}
	return s.servePDF(c, r)
}

// badgePDF serves a receipt's badge inline, for the browser to show and
// print when no printer is configured.
func (s *site) badgePDF(c echo.Context) error {
	r, _ := s.receipts.get(c.Param("id"))
	return s.servePDF(c, r)
}

func (s *site) servePDF(c echo.Context, r *receipt) error {
	if r == nil || r.Badge == nil || len(r.Badge.PDF) == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "This badge is no longer kept here: print it again from the attendee's page.")
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `inline; filename="badge.pdf"`)
	h.Set("Cache-Control", "no-store")
	// The PDF viewer is the browser's own; the page CSP is not for it.
	h.Del("Content-Security-Policy")
	return c.Blob(http.StatusOK, "application/pdf", r.Badge.PDF)
}
