// Package merge holds the rules of sync (DESIGN section 6): how the hub
// takes in a kiosk's events (Merger.Accept), how a kiosk takes in the hub's
// (ApplyDown), and the kiosk seat allocations (Allocations). The transport
// (sync/hubserver, sync/kioskclient) calls these; it decides nothing.
//
// # Up: a kiosk's events at the hub
//
//   - Events of one origin are appended in origin_seq order, each exactly
//     once: a re-sent event (same event_id, origin_seq at or below what
//     the hub stored) is skipped; a batch starting past the next expected
//     origin_seq is refused with *GapError{Expected} and nothing written.
//   - A batch holding an event of another origin, a malformed envelope, or
//     an event type only the hub records (allocations granted/returned,
//     seat-quota conflicts raised/resolved, duplicate check-in warnings,
//     kiosk revocations) is refused with ErrInvalid and nothing written.
//   - Facts recorded offline are never rejected. After appending, the hub
//     applies their effect to its current state:
//     registrations.WalkUpOrderPlaced -> SeatsAvailability.RecordOnSiteSale
//     (the kiosk's allocation first, so a sale inside it commits seats
//     with no conflict; then free seats; past the quota, one
//     SeatQuotaConflictRaised naming seat type, overflow and order). A
//     kiosk's own OnSiteSeatsSold, if a kiosk records one, is settled with
//     SeatsAvailability.SettleOnSiteSale. Both are no-ops for an order
//     already applied, so a re-sent batch never raises a second conflict.
//     A kiosk that records OnSiteSeatsSold must record it before the
//     order's WalkUpOrderPlaced (the kiosk in this repository records only
//     the walk-up order, which is the intended shape).
//   - onsite.AttendeeCheckedIn of a seat already checked in by another node:
//     both are kept; every check-in for which an earlier one exists on
//     another node gets one registrations.DuplicateCheckInDetected, where
//     "earlier" orders by (hlc, origin, origin_seq). Whether a check-in is
//     flagged depends only on the set of check-ins, never on their arrival
//     order, so every node converges.
//   - The acknowledgement (Acked) covers events stored AND applied: a hub
//     that crashes between the two gets the batch again and finishes it.
//
// Compensating events (conflicts, warnings, allocation changes) are hub
// events in the conference's streams; they reach kiosks through scope like
// any other, and so does the organizer's resolution of a conflict.
//
// # Down: the hub's events at a kiosk
//
// ApplyDown appends hub pages in hub order as replicated events, keeping
// each event's origin ("hub", or the kiosk that recorded it); events the
// kiosk holds already (its own, or a page applied twice) are skipped.
//
// # Convergence
//
// Only the hub decides (conflict numbers, warnings, allocations); kiosks
// record facts. Every node holds the same events per origin in the same
// origin order, and package digest summarises state with functions that
// do not depend on how concurrent origins interleave.
package merge
