// Package onsite is the pure domain of the facts door staff record at a
// kiosk (DESIGN section 4, "On-site"): an attendee checked in, a badge
// printed or reprinted, a badge scan denied. Like shared/registrations it
// imports no HTTP, SQL or WebSocket package and takes time as an argument.
//
// Walk-up sales are not here: they are registrations facts
// (Order.PlaceWalkUp, SeatsAvailability.SellFromAllocation and
// RecordOnSiteSale, SeatAssignments), recorded with that package's rules.
//
// An attendee is identified by a seat: an order id and a position of that
// order's SeatAssignments (see Seat). One Attendance aggregate per seat
// ("attendance-<orderID>-<position>") holds its check-ins and badge prints,
// wherever they were recorded: a kiosk's own facts and, after sync, those of
// other kiosks relayed by the hub.
//
// Rules:
//
//   - A check-in of an attendee already checked in (here or on any kiosk
//     whose check-in this node has seen) is refused with an
//     *AlreadyCheckedInError naming who, where and when; nothing is
//     recorded. Staff see the warning and carry on (print, let them in);
//     a second check-in adds no information.
//   - Two kiosks that were offline may both record a check-in of the same
//     attendee. Both facts are kept (they happened); the aggregate then
//     reports Duplicate, and the hub raises a duplicate check-in warning
//     for the organizer.
//   - The first badge print needs no reason; every later print is a reprint
//     and needs one (lost, damaged, name corrected...). BadgePrinted
//     carries the reprint count. Printing does not require a check-in.
//   - A print is recorded before the badge goes to the printer, so nothing
//     is printed that the log does not hold. When the printer then refuses
//     it, BadgePrintFailed says so; the print still counts (its token was
//     issued), and the next one is a reprint ("printer jam").
//   - BadgePrinted says how the badge left the kiosk: to a printer, or as
//     a PDF opened in the browser when no printer is configured. Only a
//     badge a printer accepted is a printed badge (Attendance.Printed);
//     every issued badge, PDF or refused, still makes the next a reprint.
//   - ScanDenied is the audit entry of a badge scan that failed
//     verification; it holds the reason and the kiosk, no personal data.
//   - KioskNamed is recorded by the hub: the name the organizer gave a
//     kiosk, so screens name kiosks rather than show their ids.
//
// Every event carries "conference_id" in its JSON data, so sync can scope
// events to a conference without decoding them.
package onsite
