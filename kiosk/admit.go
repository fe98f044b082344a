package kiosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"conference/kiosk/readmodel"
	"conference/shared/eventsourcing"
	"conference/shared/ids"
	"conference/shared/onsite"
)

// Admit is the door's one-tap flow: check the attendee in and, if they have
// no badge yet, print it, storing both facts in one commit before the badge
// goes to the printer. An attendee already checked in gets a
// *DuplicateCheckInError and nothing happens. Badge is nil when a badge was
// printed before (Reprint is for that); Badge.PrintError is set when the
// check-in and print were recorded but the printer refused the badge.
func (k *Kiosk) Admit(ctx context.Context, seat onsite.Seat, staff string) (readmodel.AttendeeView, *PrintResult, error) {
	id, err := k.canRecord()
	if err != nil {
		return readmodel.AttendeeView{}, nil, err
	}
	a, ok := k.model.Attendee(seat)
	if !ok || !k.serves(a.ConferenceID) {
		return a, nil, fmt.Errorf("admit %s: %w", seat, ErrAttendeeNotFound)
	}
	at, err := k.attendance.Load(ctx, onsite.AttendanceStreamID(seat))
	if errors.Is(err, eventsourcing.ErrNotFound) {
		at, err = onsite.NewAttendance(), nil
	}
	if err != nil {
		return a, nil, k.recorded("load attendance", err)
	}
	now := k.now()
	err = at.CheckIn(onsite.CheckIn{ConferenceID: a.ConferenceID, Seat: seat, KioskID: id.KioskID, Staff: staff}, now)
	if w := k.duplicate(err, a, id); w != nil {
		return a, nil, w
	}
	if err != nil {
		return a, nil, err
	}
	var badge *PrintResult
	if at.Prints() == 0 {
		issued, out := now.Truncate(time.Second), k.badgeOutput()
		if err := at.PrintBadge(onsite.PrintBadge{ConferenceID: a.ConferenceID, Seat: seat, KioskID: id.KioskID, Staff: staff,
			Output: out, IssuedAt: issued}, now); err != nil {
			return a, nil, err
		}
		badge = &PrintResult{Attendee: a, Output: out, IssuedAt: issued}
		if badge.PDF, badge.HasQR, err = k.render(a, issued); err != nil {
			return a, nil, err
		}
	}
	// Stored first, printed after: every badge in someone's hand is in the
	// log, and when the store refuses the check-in no badge comes out.
	if err := k.recorded("admit", k.attendance.Save(ctx, at, eventsourcing.Metadata{CorrelationID: ids.New()})); err != nil {
		return a, nil, err
	}
	if badge != nil {
		k.sendToPrinter(ctx, id, staff, badge)
	}
	if err := k.catchUp(ctx); err != nil {
		return a, badge, err
	}
	a, _ = k.model.Attendee(seat)
	if badge != nil {
		badge.Attendee = a
	}
	return a, badge, nil
}
