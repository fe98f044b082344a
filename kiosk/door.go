package kiosk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/badges"
	"conference/badges/token"
	"conference/kiosk/readmodel"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
)

// FindResult answers the search field. A badge scanned into it is
// verified: Scan is set and Attendees holds its attendee when genuine.
type FindResult struct {
	Attendees []readmodel.AttendeeView
	Scan      *ScanResult
}

// Find looks attendees up by name (prefix of any word, accents ignored),
// email, access code, or a scanned badge token.
func (k *Kiosk) Find(ctx context.Context, query string) (FindResult, error) {
	if raw := scannedText(query); looksLikeToken(raw) {
		scan, err := k.VerifyScan(ctx, raw)
		if err != nil {
			return FindResult{}, err
		}
		res := FindResult{Scan: &scan}
		if scan.OK {
			res.Attendees = []readmodel.AttendeeView{scan.Attendee}
		}
		return res, nil
	}
	query = strings.TrimSpace(query)
	return FindResult{Attendees: k.model.Find(k.scope(), query, readmodel.DefaultLimit)}, nil
}

// scannedText removes what a scanner adds around a code, the line ending,
// and nothing else: the space is part of the base45 alphabet of badge
// tokens.
func scannedText(s string) string { return strings.Trim(s, "\r\n\t") }

// looksLikeToken tells a scanned badge from typed text: tokens are long
// runs of the base45 alphabet, which no name, email or access code is.
func looksLikeToken(s string) bool {
	if len(s) < 100 {
		return false
	}
	return strings.Trim(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") == ""
}

// scope is the conference searches are limited to: the one the kiosk
// serves, or every one when it serves several.
func (k *Kiosk) scope() uuid.UUID {
	id, _ := k.Identity()
	if len(id.Conferences) == 1 {
		return id.Conferences[0]
	}
	return uuid.Nil
}

func (k *Kiosk) serves(conference uuid.UUID) bool {
	id, _ := k.Identity()
	for _, c := range id.Conferences {
		if c == conference {
			return true
		}
	}
	return false
}

// PreviousCheckIn is an earlier check-in named by a duplicate warning.
type PreviousCheckIn struct {
	onsite.CheckInRecord
	Here      bool   // recorded by this kiosk
	KioskName string // the kiosk's name, as people know it (see KioskName)
}

// DuplicateCheckInError is CheckIn's warning that the attendee is already
// in. Nothing was recorded. errors.Is(err, onsite.ErrAlreadyCheckedIn).
type DuplicateCheckInError struct {
	Attendee readmodel.AttendeeView
	Previous []PreviousCheckIn
	loc      *time.Location
	cause    error
}

func (e *DuplicateCheckInError) Error() string {
	p := e.Previous[0]
	where := "at " + p.KioskName
	if p.Here {
		where = "here"
	}
	return fmt.Sprintf("%s is already checked in: %s by %s at %s", e.Attendee.Name, where, p.Staff, p.At.In(e.loc).Format("15:04 Jan 2"))
}

func (e *DuplicateCheckInError) Unwrap() error { return e.cause }

// duplicate turns the domain's refusal into the warning staff see, or
// returns nil when err is not one.
func (k *Kiosk) duplicate(err error, a readmodel.AttendeeView, id Identity) *DuplicateCheckInError {
	var dup *onsite.AlreadyCheckedInError
	if !errors.As(err, &dup) {
		return nil
	}
	w := &DuplicateCheckInError{Attendee: a, loc: k.Location(), cause: err}
	w.Previous = k.previous(dup.Previous, id)
	return w
}

// previous names the kiosks of check-ins for a warning.
func (k *Kiosk) previous(records []onsite.CheckInRecord, id Identity) []PreviousCheckIn {
	out := make([]PreviousCheckIn, 0, len(records))
	for _, p := range records {
		out = append(out, PreviousCheckIn{CheckInRecord: p, Here: p.KioskID == id.KioskID, KioskName: k.KioskName(p.KioskID)})
	}
	return out
}

// CheckIn records that staff let the attendee in. An attendee already
// checked in (here, or elsewhere as far as this kiosk knows) gets a
// *DuplicateCheckInError and nothing is recorded.
func (k *Kiosk) CheckIn(ctx context.Context, seat onsite.Seat, staff string) (readmodel.AttendeeView, error) {
	id, err := k.canRecord()
	if err != nil {
		return readmodel.AttendeeView{}, err
	}
	a, ok := k.model.Attendee(seat)
	if !ok || !k.serves(a.ConferenceID) {
		return a, fmt.Errorf("check in %s: %w", seat, ErrAttendeeNotFound)
	}
	cmd := onsite.CheckIn{ConferenceID: a.ConferenceID, Seat: seat, KioskID: id.KioskID, Staff: staff}
	err = k.attendance.Update(ctx, onsite.AttendanceStreamID(seat), eventsourcing.Metadata{CorrelationID: ids.New()},
		func(at *onsite.Attendance) error { return at.CheckIn(cmd, k.now()) })
	if w := k.duplicate(err, a, id); w != nil {
		return a, w
	}
	if err := k.recorded("check in", err); err != nil {
		return a, err
	}
	if err := k.catchUp(ctx); err != nil {
		return a, err
	}
	a, _ = k.model.Attendee(seat)
	return a, nil
}

// PrintResult is a badge issued and recorded. PDF is always set (the
// browser shows it when no printer is configured: Output is then
// onsite.OutputPDF, and nothing was printed); JobID is the print queue's
// job. PrintError is set when the print was recorded but the configured
// printer refused it: a BadgePrintFailed says so in the log, and the screen
// must offer a reprint rather than claim a badge.
type PrintResult struct {
	Attendee   readmodel.AttendeeView
	PDF        []byte
	JobID      string
	Output     onsite.BadgeOutput
	Printed    bool // accepted by the configured printer
	Reprint    int  // 0 for the first print
	HasQR      bool // false until the kiosk holds a hub-certified key
	IssuedAt   time.Time
	PrintError error
}

// PrintBadge prints the attendee's first badge; it does not check them in.
// A badge printed before needs Reprint with a reason.
func (k *Kiosk) PrintBadge(ctx context.Context, seat onsite.Seat, staff string) (PrintResult, error) {
	return k.print(ctx, seat, staff, "")
}

// Reprint prints another badge, recording why (lost, damaged, name fixed).
func (k *Kiosk) Reprint(ctx context.Context, seat onsite.Seat, staff, reason string) (PrintResult, error) {
	if strings.TrimSpace(reason) == "" {
		return PrintResult{}, onsite.ErrReasonRequired
	}
	return k.print(ctx, seat, staff, reason)
}

// PrintWithoutCheckIn is PrintBadge, named for the screen that prints
// badges ahead of arrival (speakers, staff): printing never checks in.
func (k *Kiosk) PrintWithoutCheckIn(ctx context.Context, seat onsite.Seat, staff string) (PrintResult, error) {
	return k.print(ctx, seat, staff, "")
}

// print decides (reprint rules), renders, records, then prints. A badge
// that cannot render or be recorded is not printed; one recorded that the
// printer refuses comes back with PrintError (see sendToPrinter).
func (k *Kiosk) print(ctx context.Context, seat onsite.Seat, staff, reason string) (PrintResult, error) {
	id, err := k.canRecord()
	if err != nil {
		return PrintResult{}, err
	}
	a, ok := k.model.Attendee(seat)
	if !ok || !k.serves(a.ConferenceID) {
		return PrintResult{}, fmt.Errorf("print badge of %s: %w", seat, ErrAttendeeNotFound)
	}
	now := k.now()
	issued := now.Truncate(time.Second)
	at, err := k.attendance.Load(ctx, onsite.AttendanceStreamID(seat))
	if err != nil && !errors.Is(err, eventsourcing.ErrNotFound) {
		return PrintResult{}, k.recorded("load attendance", err)
	}
	if errors.Is(err, eventsourcing.ErrNotFound) {
		at = onsite.NewAttendance()
	}
	out := k.badgeOutput()
	if err := at.PrintBadge(onsite.PrintBadge{ConferenceID: a.ConferenceID, Seat: seat, KioskID: id.KioskID,
		Staff: staff, Reason: reason, Output: out, IssuedAt: issued}, now); err != nil {
		return PrintResult{}, err
	}
	res := PrintResult{Attendee: a, Reprint: at.Prints() - 1, Output: out, IssuedAt: issued}
	if res.PDF, res.HasQR, err = k.render(a, issued); err != nil {
		return PrintResult{}, err
	}
	if err := k.recorded("record badge print", k.attendance.Save(ctx, at, eventsourcing.Metadata{CorrelationID: ids.New()})); err != nil {
		return PrintResult{}, err
	}
	k.sendToPrinter(ctx, id, staff, &res)
	if err := k.catchUp(ctx); err != nil {
		return res, err
	}
	res.Attendee, _ = k.model.Attendee(seat)
	return res, nil
}

// badgeOutput is how badges leave this kiosk: to its printer, or as a PDF
// for the browser when none is configured.
func (k *Kiosk) badgeOutput() onsite.BadgeOutput {
	if k.cfg.Printer == nil {
		return onsite.OutputPDF
	}
	return onsite.OutputPrinter
}

// HasPrinter reports whether badges go to a print queue; without one they
// open as a PDF in the staff's browser.
func (k *Kiosk) HasPrinter() bool { return k.cfg.Printer != nil }

// printTimeout bounds how long a print may take to be queued.
const printTimeout = 30 * time.Second

// sendToPrinter sends a recorded badge to the configured printer, if any.
// When the printer refuses it, the print is marked failed in the log
// (BadgePrintFailed) and res.PrintError says why; if even that cannot be
// stored, the log keeps claiming a badge, so the error is logged loudly for
// support and the screen still says the badge did not print.
func (k *Kiosk) sendToPrinter(ctx context.Context, id Identity, staff string, res *PrintResult) {
	if k.cfg.Printer == nil {
		return
	}
	a := res.Attendee
	// The print is recorded already: it goes to the printer even if the
	// screen that asked goes away (a cancelled lp may have queued the job,
	// and its failure would be recorded as a refusal), bounded so a hung
	// queue cannot hold the request for ever.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), printTimeout)
	defer cancel()
	job, err := k.cfg.Printer.Print(pctx, "badge "+a.Name, bytes.NewReader(res.PDF))
	if err == nil {
		res.JobID, res.Printed = job, true
		return
	}
	res.PrintError = fmt.Errorf("print badge of %s: %w", a.Name, err)
	k.log.Warn("printer refused a recorded badge", "seat", a.Seat, "reprint", res.Reprint, "err", err)
	fail := onsite.PrintFailure{ConferenceID: a.ConferenceID, Seat: a.Seat, KioskID: id.KioskID, Staff: staff,
		Reprint: res.Reprint, Error: err.Error()}
	rerr := k.attendance.Update(context.WithoutCancel(ctx), onsite.AttendanceStreamID(a.Seat), eventsourcing.Metadata{CorrelationID: ids.New()},
		func(at *onsite.Attendance) error { return at.RecordPrintFailure(fail, k.now()) })
	if rerr = k.recorded("record failed badge print", rerr); rerr != nil {
		k.log.Error("the log says a badge was printed that the printer refused", "seat", a.Seat, "reprint", res.Reprint, "err", rerr)
	}
}

// render draws one badge; the QR carries a token signed with the kiosk's
// certified key when it has one.
func (k *Kiosk) render(a readmodel.AttendeeView, issued time.Time) ([]byte, bool, error) {
	b := badges.Badge{Conference: a.ConferenceName, Name: a.Name, Company: a.Company, Role: a.Role, AccessCode: a.AccessCode}
	if b.Conference == "" {
		b.Conference = "Conference"
	}
	for _, st := range a.SeatTypes {
		if st.Name != "" {
			b.SeatTypes = append(b.SeatTypes, st.Name)
		}
	}
	k.idMu.RLock()
	signer := k.signer
	k.idMu.RUnlock()
	if signer != nil {
		tok, err := signer.Sign(token.Claims{Conference: a.ConferenceID.String(), Seat: a.Seat.TokenID(), IssuedAt: issued})
		if err != nil {
			return nil, false, fmt.Errorf("sign badge token: %w", err)
		}
		b.Token = tok
	}
	var buf bytes.Buffer
	if err := badges.RenderOne(context.Background(), &buf, k.cfg.BadgeStyle, b); err != nil {
		return nil, false, fmt.Errorf("render badge of %q: %w", a.Name, err)
	}
	return buf.Bytes(), signer != nil, nil
}

// ScanResult is the verdict on a scanned badge.
type ScanResult struct {
	OK       bool
	Attendee readmodel.AttendeeView // set when OK
	Reason   onsite.DenyReason      // set when denied
	Message  string                 // for the screen
	// Detail is what verification said, when the badge did not verify.
	Detail string
	// Admitted: this scan checked the attendee in (ScanIn).
	Admitted bool
	// Previous lists the attendee's earlier check-ins: a genuine badge
	// with any is a re-entry, never shown as a plain "valid".
	Previous []PreviousCheckIn
}

// Reentry reports a genuine badge of someone already checked in before
// this scan.
func (r ScanResult) Reentry() bool { return r.OK && len(r.Previous) > 0 }

var denyMessages = map[onsite.DenyReason]string{
	onsite.DenyNotAToken:       "This is not a badge code.",
	onsite.DenyBadSignature:    "Forged or altered badge: the signature does not match.",
	onsite.DenyUnknownKey:      "Badge signed by an unknown key.",
	onsite.DenyNotValidAt:      "Badge signed by a kiosk outside its certificate's validity.",
	onsite.DenyOtherConference: "This badge is for another conference.",
	onsite.DenyRevoked:         "This badge was revoked (order cancelled or seat given to someone else).",
	onsite.DenyUnknownAttendee: "Genuine badge, but the attendee is not in this kiosk's list yet.",
	onsite.DenyKioskRevoked:    "Badge signed by a kiosk after the organizer revoked it.",
}

// revokedMessage names the revoked kiosk and when it was revoked.
func revokedMessage(e *token.RevokedError) string {
	return fmt.Sprintf("Badge signed by kiosk %s after it was revoked at %s.", e.Name, e.RevokedAt.Local().Format("15:04:05 Jan 2"))
}

// maxScanLength bounds what a scan may be; a hub token is 167 characters
// with UUID identifiers, a kiosk token (carrying its certificate) 348.
const maxScanLength = 1024

// VerifyScan checks a scanned badge offline: signature by the hub or a
// certified kiosk, this kiosk's conference, not revoked. A denied scan is
// recorded (ScanDenied, reason only) for audit.
func (k *Kiosk) VerifyScan(ctx context.Context, text string) (ScanResult, error) {
	id, err := k.canRecord()
	if err != nil {
		return ScanResult{}, err
	}
	k.idMu.RLock()
	verifier := k.verifier
	k.idMu.RUnlock()
	text = scannedText(text)
	reason, a, verr := k.judge(verifier, id, text)
	if reason == "" {
		return ScanResult{OK: true, Attendee: a, Previous: k.previous(a.CheckIns, id)}, nil
	}
	res := ScanResult{Reason: reason, Message: denyMessages[reason]}
	if verr != nil {
		res.Detail = verr.Error()
	}
	if re := (*token.RevokedError)(nil); errors.As(verr, &re) {
		res.Message = revokedMessage(re)
	}
	conf := k.scope()
	if conf == uuid.Nil {
		conf = id.Conferences[0]
	}
	e, err := onsite.DenyScan(conf, id.KioskID, reason, k.now())
	if err != nil {
		return res, err
	}
	name, schema, data, err := k.codec.Encode(e)
	if err != nil {
		return res, err
	}
	stream := eventstore.Stream{ID: onsite.ScansStreamID(conf, id.KioskID), Type: "onsite.Scans"}
	_, err = k.store.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{{EventID: ids.New(), Type: name, Schema: schema, Data: data}})
	if err := k.recorded("record denied scan", err); err != nil {
		return res, err
	}
	return res, k.catchUp(ctx)
}

// judge verifies a scan; a refusal comes with its reason and, when
// verification itself refused the badge, the verifier's error.
func (k *Kiosk) judge(v *token.Verifier, id Identity, text string) (onsite.DenyReason, readmodel.AttendeeView, error) {
	none := readmodel.AttendeeView{}
	if len(text) > maxScanLength || text == "" {
		return onsite.DenyNotAToken, none, nil
	}
	if v == nil {
		return onsite.DenyUnknownKey, none, nil
	}
	claims, err := v.Verify(text)
	switch {
	case errors.Is(err, token.ErrBadSignature):
		return onsite.DenyBadSignature, none, err
	case errors.Is(err, token.ErrUnknownKey):
		return onsite.DenyUnknownKey, none, err
	case errors.Is(err, token.ErrNotValidAt):
		return onsite.DenyNotValidAt, none, err
	case errors.Is(err, token.ErrKioskRevoked):
		return onsite.DenyKioskRevoked, none, err
	case err != nil:
		return onsite.DenyNotAToken, none, err
	}
	conf, err := uuid.Parse(claims.Conference)
	if err != nil || !k.serves(conf) {
		return onsite.DenyOtherConference, none, nil
	}
	a, known, current := k.model.TokenSeat(claims.Seat)
	switch {
	case !known:
		return onsite.DenyUnknownAttendee, a, nil
	case !current || a.ConferenceID != conf:
		return onsite.DenyRevoked, a, nil
	case claims.IssuedAt.Unix() < a.AssignedAt.Unix():
		return onsite.DenyRevoked, a, nil
	}
	return "", a, nil
}
