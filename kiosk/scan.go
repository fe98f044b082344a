package kiosk

import (
	"context"
	"errors"
)

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
