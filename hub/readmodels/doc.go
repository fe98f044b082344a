// Package readmodels keeps the hub's read models: SQL tables in the hub's
// database projected from the event log and from conference management's
// integration messages (conferences.*, which live only in the message
// log), each rebuildable from those logs at any time.
//
// The models: published conferences; seat types with remaining seats (also
// held in memory for the public availability read); order details with
// priced lines, expiry and partial reservation; seats of an order for
// assignment; attendees per conference; orders per conference for the
// organizer; waitlist; promo-code use; seat-quota conflicts with their
// resolution and duplicate check-in warnings (what sync's merge records).
//
// A Models follows both logs with one checkpoint each, stored in the same
// transaction as the rows they describe (Run, CatchUp, WaitFor). Rebuild
// empties the tables and replays everything in memory in one transaction,
// a writer goroutine writing the changed rows in chunks meanwhile.
// Digest hashes each model so a live and a rebuilt database (or a kiosk)
// can prove they agree. Queries are tenant-agnostic: callers check tenancy
// through conference management (ConferenceView.OrganizerID helps).
package readmodels
