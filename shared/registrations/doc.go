// Package registrations is the registrations domain (DESIGN section 4),
// event-sourced and pure: no I/O, no clock (time comes in as now), no
// store. The hub and every kiosk run the same code; they differ in wiring.
//
// Aggregates and their streams:
//
//   - Order ("order-<orderID>"): placed online with requested seats, priced
//     at once (Price), held for a reservation window; told what was really
//     reserved (possibly less: OrderPartiallyReserved), then confirmed,
//     expired, rejected or cancelled. A kiosk places a walk-up order
//     already paid in one event (WalkUpOrderPlaced). IsFree orders skip
//     payment.
//   - SeatsAvailability ("availability-<conferenceID>"): quota per seat
//     type and who holds seats: reservations (keyed by order id), sold
//     seats, kiosk allocations. Offline kiosk sales are never refused; an
//     oversold quota raises SeatQuotaConflictRaised, which the organizer
//     resolves (SeatQuotaConflictResolved). It snapshots.
//   - SeatAssignments ("assignments-<orderID>"): one position per seat of a
//     confirmed order, each naming an attendee.
//   - Waitlist ("waitlist-<conferenceID>"): registrants waiting for a seat
//     type; seats that come back are offered for a limited time, and
//     lapsed offers pass to the next in line.
//   - PromoCodeUsage ("promo-<conferenceID>-<CODE>"): counts the orders
//     using a promo code so limited codes are exact.
//   - RegistrationProcess ("registration-<orderID>"): the process manager.
//
// The online flow, driven by RegistrationProcess.Handle (commands in
// brackets, sent through the outbox):
//
//	OrderPlaced -> [MakeSeatReservation, ReservationTimeout(at expiry)]
//	SeatsReserved -> [MarkSeatsAsReserved, InitiatePayment]
//	                 or, free: [MarkSeatsAsReserved, CommitSeatReservation, ConfirmOrder]
//	                 or, nothing reserved: [RejectOrder]
//	PaymentCompleted -> [CommitSeatReservation, ConfirmOrder]
//	ReservationTimeout -> [CancelSeatReservation, ExpireOrder]
//	PaymentCompleted after expiry -> [MakeSeatReservation] then, if every seat
//	    came back, [ReinstateOrder, CommitSeatReservation, ConfirmOrder];
//	    otherwise [CancelSeatReservation, RefundPayment, NotifyRegistrant]
//	PaymentCompleted that buys nothing (duplicate, wrong amount, closed
//	    order) -> [RefundPayment, NotifyRegistrant]
//	WalkUpOrderPlaced -> [RecordOnSiteSale]
//	OrderCancelled -> [CancelSoldSeats or CancelSeatReservation, RefundPayment]
//
// Callers generate every id (ids.New for orders, reservations = order ids,
// waitlist entries; ids.NewAccessCode for access codes): aggregates stay
// deterministic, so every node replaying the same events reaches the same
// state. Errors are *Error values with a Code (invalid, conflict,
// not_found); match sentinels with errors.Is.
package registrations
