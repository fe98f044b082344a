package registrations

import (
	"github.com/google/uuid"

	"conference/shared/eventsourcing"
)

// OrderStreamID is the stream of one Order.
func OrderStreamID(orderID uuid.UUID) string { return "order-" + orderID.String() }

// AvailabilityStreamID is the stream of a conference's SeatsAvailability.
func AvailabilityStreamID(conferenceID uuid.UUID) string {
	return "availability-" + conferenceID.String()
}

// AssignmentsStreamID is the stream of a confirmed order's SeatAssignments.
func AssignmentsStreamID(orderID uuid.UUID) string { return "assignments-" + orderID.String() }

// WaitlistStreamID is the stream of a conference's Waitlist.
func WaitlistStreamID(conferenceID uuid.UUID) string { return "waitlist-" + conferenceID.String() }

// ProcessStreamID is the stream of an order's RegistrationProcess.
func ProcessStreamID(orderID uuid.UUID) string { return "registration-" + orderID.String() }

// PromoUsageStreamID is the stream counting uses of one promo code.
func PromoUsageStreamID(conferenceID uuid.UUID, code string) string {
	return "promo-" + conferenceID.String() + "-" + NormalizePromoCode(code)
}

// Events lists one zero value of every event this package records, for
// registration and for tests that check every event round-trips.
func Events() []eventsourcing.Event {
	return []eventsourcing.Event{
		OrderPlaced{}, OrderReservationCompleted{}, OrderPartiallyReserved{},
		OrderRegistrantAssigned{}, OrderConfirmed{}, OrderExpired{}, OrderRejected{},
		OrderCancelled{}, WalkUpOrderPlaced{},

		SeatTypeAdded{}, SeatQuotaIncreased{}, SeatQuotaDecreased{}, SeatsReserved{},
		SeatReservationCommitted{}, SeatReservationCancelled{}, SoldSeatsCancelled{},
		SeatAllocationGranted{}, SeatAllocationReturned{}, OnSiteSeatsSold{},
		SeatQuotaConflictRaised{}, SeatQuotaConflictResolved{},

		SeatAssignmentsCreated{}, SeatAssigned{}, SeatAssigneeUpdated{}, SeatUnassigned{},

		WaitlistJoined{}, WaitlistOfferMade{}, WaitlistOfferAccepted{}, WaitlistOfferExpired{},
		WaitlistLeft{},

		PromoCodeRedeemed{}, PromoCodeReleased{},

		RegistrationStarted{}, RegistrationSeatsReserved{}, RegistrationPaymentReceived{},
		RegistrationPaymentRefunded{}, RegistrationExpired{}, RegistrationRejected{},
		RegistrationCancelled{}, RegistrationRegistrantGiven{},
	}
}

// RegisterEvents registers every event of this package at schema 1, plus
// the messages the RegistrationProcess consumes that are not stored in its
// own streams (PaymentCompleted, ReservationTimeout), so the message log
// can decode them too.
func RegisterEvents(r *eventsourcing.Registry) {
	for _, e := range Events() {
		r.Register(e, 1)
	}
	r.Register(PaymentCompleted{}, 1)
	r.Register(ReservationTimeout{}, 1)
}
