package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/kiosk"
	"conference/kiosk/readmodel"
	"conference/shared/onsite"
)

// maxQuery bounds what the search field takes; a badge token is about 170
// characters, a scanner never sends more than a few hundred.
const maxQuery = 1024

type findData struct {
	Query     string
	Attendees []readmodel.AttendeeView
	Searched  bool
	Error     string
}

// findPage is the door screen: the search field and, after a search, its
// results. Searching by GET never verifies a token (that records denied
// scans): scans arrive by POST /find or POST /scan.
func (s *site) findPage(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	d := findData{Query: q}
	if q != "" {
		if utf8.RuneCountInString(q) > maxQuery {
			d.Error = "That is too long to be a name, email, access code or badge."
			return s.render(c, http.StatusUnprocessableEntity, "find", view{Title: "Find", Section: "find", Query: q, Data: d})
		}
		d.Searched = true
		d.Attendees = s.k.Model().Find(s.scope(), q, readmodel.DefaultLimit)
	}
	return s.render(c, http.StatusOK, "find", view{Title: "Find", Section: "find", Query: q, Data: d})
}

// scope is the conference searches cover: the kiosk's one conference, or
// every one it holds when it serves several (as kiosk.Find does).
func (s *site) scope() uuid.UUID {
	id, _ := s.k.Identity()
	if len(id.Conferences) == 1 {
		return id.Conferences[0]
	}
	return uuid.Nil
}

// find is the search field's submit: a scanned badge checks its attendee
// in at once (verify only is the /scan page); a scanned code that is not a
// badge is refused; a search with one match opens the attendee; otherwise
// the results.
func (s *site) find(c echo.Context) error {
	raw := c.FormValue("q") // kept whole for the kiosk: spaces belong to badge tokens
	q := strings.TrimSpace(raw)
	if q == "" {
		return redirect(c, "/")
	}
	if utf8.RuneCountInString(q) > maxQuery {
		d := findData{Query: q, Error: "That is too long to be a name, email, access code or badge."}
		return s.render(c, http.StatusUnprocessableEntity, "find", view{Title: "Find", Section: "find", Data: d})
	}
	res, err := s.k.FindAtDoor(c.Request().Context(), raw, staffOf(c), c.FormValue("scanned") == "1")
	if res.Scan != nil {
		if err != nil {
			return err
		}
		return s.showScan(c, *res.Scan, false)
	}
	if err != nil {
		return err
	}
	if len(res.Attendees) == 1 {
		return redirect(c, attendeeURL(res.Attendees[0].Seat))
	}
	return redirect(c, "/?q="+url.QueryEscape(q))
}

func (s *site) scanForm(c echo.Context) error {
	return s.render(c, http.StatusOK, "scan", view{Title: "Verify a badge", Section: "scan"})
}

// scan is the verify-only page: whatever the scanner sent, token or not, is
// verified and nobody is checked in; a bad one is recorded as denied.
func (s *site) scan(c echo.Context) error {
	res, err := s.k.VerifyScan(c.Request().Context(), c.FormValue("code"))
	if err != nil {
		return err
	}
	return s.showScan(c, res, true)
}

// showScan keeps the verdict and shows it by GET, so a reload never scans
// again.
func (s *site) showScan(c echo.Context, res kiosk.ScanResult, verifyOnly bool) error {
	r := s.receipts.add(&receipt{Heading: scanHeading(res, verifyOnly), Attendee: res.Attendee, Scan: &res, VerifyOnly: verifyOnly})
	return redirect(c, "/scans/"+r.ID)
}

// scanHeading is the verdict in a few words: green only for a badge that
// let someone in (or, verifying only, one nobody has used yet); a
// re-entry is never "valid".
func scanHeading(res kiosk.ScanResult, verifyOnly bool) string {
	switch {
	case !res.OK:
		return "Refused"
	case res.Reentry():
		return "Already checked in"
	case verifyOnly:
		return "Valid badge, not checked in"
	}
	return "Admitted"
}

// scanPage shows a kept verdict.
func (s *site) scanPage(c echo.Context) error {
	r, ok := s.receipts.get(c.Param("id"))
	if !ok || r.Scan == nil {
		return s.render(c, http.StatusNotFound, "error", view{Title: "Not found", Data: errorData{Heading: "This scan result is gone",
			Message: "Scan results are kept for 30 minutes. What was recorded is on the attendee's page: search for them."}})
	}
	return s.render(c, http.StatusOK, "verdict", view{Title: r.Heading, Section: sectionOf(r), Data: r})
}

func sectionOf(r *receipt) string {
	if r.VerifyOnly {
		return "scan"
	}
	return "find"
}

type attendeeData struct {
	A         readmodel.AttendeeView
	KioskID   string
	Duplicate *kiosk.DuplicateCheckInError
	Error     string
	Reason    string
	// Just: the check-in shown was made by this screen a moment ago.
	Just bool
	// Pending names the seats of a walk-up sale sold past the allocation
	// that the hub has not confirmed yet.
	Pending string
	// Printer: badges go to a print queue; otherwise they open as a PDF.
	Printer bool
}

// checkInView is one known check-in of the attendee, for the warning.
type checkInView struct {
	onsite.CheckInRecord
	Here bool
}

// CheckIns lists the attendee's check-ins, saying which were here.
func (d attendeeData) CheckIns() []checkInView {
	var out []checkInView
	for _, ci := range d.A.CheckIns {
		out = append(out, checkInView{CheckInRecord: ci, Here: ci.KioskID == d.KioskID})
	}
	return out
}

func attendeeURL(seat onsite.Seat) string {
	return fmt.Sprintf("/attendees/%s/%d", seat.OrderID, seat.Position)
}

// seatParam reads the attendee of the URL; a malformed one is not found.
func (s *site) seatParam(c echo.Context) (onsite.Seat, readmodel.AttendeeView, error) {
	seat, err := onsite.ParseSeat(c.Param("order") + "/" + c.Param("pos"))
	if err != nil {
		return seat, readmodel.AttendeeView{}, s.attendeeGone(c)
	}
	a, ok := s.k.Model().Attendee(seat)
	if !ok {
		return seat, a, s.attendeeGone(c)
	}
	return seat, a, nil
}

// errHandled: the helper already answered the request.
var errHandled = errors.New("handled")

func (s *site) attendeeGone(c echo.Context) error {
	err := s.render(c, http.StatusNotFound, "error", view{Title: "Not found", Data: errorData{Heading: "No such attendee",
		Message: "This kiosk has no attendee here: the order may have been cancelled, the seat given to someone else, or the link is mistyped. Search again."}})
	if err != nil {
		return err
	}
	return errHandled
}

func (s *site) renderAttendee(c echo.Context, status int, d attendeeData) error {
	id, _ := s.k.Identity()
	d.KioskID, d.Printer = id.KioskID, s.k.HasPrinter()
	d.Pending = s.pastNames(d.A.ConferenceID, d.A.PendingHub)
	return s.render(c, status, "attendee", view{Title: d.A.Name, Section: "find", Data: d})
}

func (s *site) attendeePage(c echo.Context) error {
	_, a, err := s.seatParam(c)
	if err != nil {
		return ignoreHandled(err)
	}
	// Right after this screen checked them in, the check-in is news, not
	// a warning; only a single check-in qualifies.
	just := c.QueryParam("done") == "check-in" && len(a.CheckIns) == 1
	return s.renderAttendee(c, http.StatusOK, attendeeData{A: a, Just: just})
}

func ignoreHandled(err error) error {
	if errors.Is(err, errHandled) {
		return nil
	}
	return err
}

// duplicate renders the already-checked-in warning when err is one.
func (s *site) duplicate(c echo.Context, err error) (bool, error) {
	var dup *kiosk.DuplicateCheckInError
	if !errors.As(err, &dup) {
		return false, nil
	}
	a := dup.Attendee
	if fresh, ok := s.k.Model().Attendee(a.Seat); ok {
		a = fresh
	}
	return true, s.renderAttendee(c, http.StatusConflict, attendeeData{A: a, Duplicate: dup})
}

func (s *site) checkIn(c echo.Context) error {
	seat, _, err := s.seatParam(c)
	if err != nil {
		return ignoreHandled(err)
	}
	a, err := s.k.CheckIn(c.Request().Context(), seat, staffOf(c))
	if ok, rerr := s.duplicate(c, err); ok {
		return rerr
	}
	if err != nil {
		return err
	}
	s.flash.Set(c, s.checkedInMessage(a))
	return redirect(c, attendeeURL(seat)+"?done=check-in")
}

func (s *site) checkedInMessage(a readmodel.AttendeeView) string {
	msg := "Checked in: " + a.Name
	if n := len(a.CheckIns); n > 0 {
		ci := a.CheckIns[n-1]
		msg += fmt.Sprintf(" at %s by %s", ci.At.In(s.k.Location()).Format("15:04"), ci.Staff)
	}
	return msg + "."
}

// admit checks in and prints the first badge in one tap.
func (s *site) admit(c echo.Context) error {
	seat, _, err := s.seatParam(c)
	if err != nil {
		return ignoreHandled(err)
	}
	a, badge, err := s.k.Admit(c.Request().Context(), seat, staffOf(c))
	if ok, rerr := s.duplicate(c, err); ok {
		return rerr
	}
	if err != nil {
		return err
	}
	if badge == nil {
		s.flash.Set(c, s.checkedInMessage(a)+" Their badge was printed before: reprint it below if they need one.")
		return redirect(c, attendeeURL(seat)+"?done=check-in")
	}
	heading := badgeDone(*badge, "Checked in, badge printed", "Checked in, badge opened as PDF")
	if badge.PrintError != nil {
		heading = "Checked in, but the badge did not print"
	}
	r := s.receipts.add(&receipt{Heading: heading, Attendee: a, CheckedIn: true, Badge: badge})
	return redirect(c, r.Path)
}

// print prints the first badge; for someone not checked in it is the
// "print without checking in" button.
func (s *site) print(c echo.Context) error {
	seat, a, err := s.seatParam(c)
	if err != nil {
		return ignoreHandled(err)
	}
	ctx := c.Request().Context()
	var res kiosk.PrintResult
	suffix := ""
	if a.CheckedIn() {
		res, err = s.k.PrintBadge(ctx, seat, staffOf(c))
	} else {
		suffix = " (not checked in)"
		res, err = s.k.PrintWithoutCheckIn(ctx, seat, staffOf(c))
	}
	if errors.Is(err, onsite.ErrReasonRequired) {
		return s.renderAttendee(c, http.StatusConflict, attendeeData{A: a,
			Error: "This attendee's badge was printed before. To print another, choose a reason and reprint."})
	}
	if err != nil {
		return err
	}
	return s.printed(c, badgeDone(res, "Badge printed", "Badge opened as PDF")+suffix, res)
}

// badgeDone is what happened to a badge, as a receipt's heading says it:
// printed only when it went to a printer. Without one it opened as a
// PDF, which is not a printed badge.
func badgeDone(res kiosk.PrintResult, printed, pdf string) string {
	if res.Output == onsite.OutputPDF {
		return pdf
	}
	return printed
}

// printed shows a recorded print; one the printer refused says so and
// offers the reprint instead of claiming a badge.
func (s *site) printed(c echo.Context, heading string, res kiosk.PrintResult) error {
	if res.PrintError != nil {
		heading = "Badge not printed"
	}
	r := s.receipts.add(&receipt{Heading: heading, Attendee: res.Attendee, CheckedIn: res.Attendee.CheckedIn(), Badge: &res})
	return redirect(c, r.Path)
}

// reprintReasons are the usual reasons, offered as buttons.
var reprintReasons = map[string]string{
	"lost": "Lost", "damaged": "Damaged", "name": "Name corrected", "printer": "Printer jam",
}

func (s *site) reprint(c echo.Context) error {
	seat, a, err := s.seatParam(c)
	if err != nil {
		return ignoreHandled(err)
	}
	reason := reprintReasons[c.FormValue("reason")]
	if c.FormValue("reason") == "other" || reason == "" {
		reason = strings.TrimSpace(c.FormValue("reason_other"))
	}
	switch {
	case reason == "":
		return s.renderAttendee(c, http.StatusUnprocessableEntity, attendeeData{A: a, Error: "Say why the badge is reprinted."})
	case !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > onsite.MaxTextLength:
		return s.renderAttendee(c, http.StatusUnprocessableEntity, attendeeData{A: a, Reason: reason,
			Error: fmt.Sprintf("The reason is too long (at most %d characters).", onsite.MaxTextLength)})
	}
	res, err := s.k.Reprint(c.Request().Context(), seat, staffOf(c), reason)
	if err != nil {
		return err
	}
	return s.printed(c, badgeDone(res, "Badge reprinted", "Badge reprint opened as PDF"), res)
}

// redirect answers a form post with 303 See Other, so reloading the next
// page never sends the form again (no second check-in or print).
func redirect(c echo.Context, target string) error { return c.Redirect(http.StatusSeeOther, target) }
