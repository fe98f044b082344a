package kiosk

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"conference/kiosk/readmodel"
)

// FindAtDoor answers the door screen's search field, where staff type and
// scanners type too:
//
//   - a badge token is scanned in (ScanIn): one scan checks a person in;
//   - anything else is a search by name, email or access code, except that
//     a code scanned (the screen saw it typed at a scanner's speed) or
//     barcode-like (no letters: no name, email or access code is) that
//     finds nobody is refused as not a badge and recorded as a denied scan,
//     rather than shown as a search that matched nobody. A confirmation's
//     access code scanned at the door still finds its order.
func (k *Kiosk) FindAtDoor(ctx context.Context, query, staff string, scanned bool) (FindResult, error) {
	raw := scannedText(query)
	if looksLikeToken(raw) {
		res, err := k.ScanIn(ctx, raw, staff)
		return FindResult{Scan: &res}, err
	}
	query = strings.TrimSpace(query)
	found := k.model.Find(k.scope(), query, readmodel.DefaultLimit)
	if len(found) == 0 && (scanned || barcodeLike(query)) {
		res, err := k.VerifyScan(ctx, raw)
		return FindResult{Scan: &res}, err
	}
	return FindResult{Attendees: found}, nil
}

// barcodeLike tells a short barcode (a product code, a ticket number of
// another system) typed into the search field from a search: at least six
// characters and not one letter.
func barcodeLike(s string) bool {
	if len(s) < 6 {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsLetter)
}

// ScanIn is the door's default for a scanned badge (or a ticket: any
// badge token the hub or a certified kiosk signed): verify it offline and,
// when it is genuine and its attendee is not in yet, check them in at
// once. The result says which of three things happened:
//
//   - Admitted: checked in by this scan;
//   - Reentry: genuine, but the attendee was checked in before (Previous
//     says when and where); nothing is recorded;
//   - refused (not OK): Reason and Message say why; a ScanDenied is
//     recorded.
//
// A scanner that sends the code twice, or two doors scanning one badge at
// once, check the attendee in once: the check-in is decided by the
// attendee's stream with optimistic concurrency, so the second scan reads
// the first one's check-in and is a re-entry "just now, here".
func (k *Kiosk) ScanIn(ctx context.Context, text, staff string) (ScanResult, error) {
	res, err := k.VerifyScan(ctx, text)
	if err != nil || !res.OK || res.Reentry() {
		return res, err
	}
	a, err := k.CheckIn(ctx, res.Attendee.Seat, staff)
	var dup *DuplicateCheckInError
	switch {
	case errors.As(err, &dup):
		res.Attendee, res.Previous = dup.Attendee, dup.Previous
		if fresh, ok := k.model.Attendee(a.Seat); ok {
			res.Attendee = fresh
		}
		return res, nil
	case err != nil:
		return res, err
	}
	res.Attendee, res.Admitted = a, true
	return res, nil
}
