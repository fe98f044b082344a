package hubapp

import (
	"context"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

// ResolveSeatConflict is the organizer's resolution of a seat-quota
// conflict of one of their conferences (another tenant's conference is
// conferences.ErrNotFound). The registrations context records it (see
// registrationsapp.Registrations.ResolveConflict); a raised quota is
// brought to Conference Management as well, so the seat type's quota the
// organizer edits is the one seats are counted against.
func (h *Hub) ResolveSeatConflict(ctx context.Context, organizerID, conferenceID uuid.UUID, number int, res registrations.Resolution) (registrations.SeatQuotaConflictResolved, error) {
	if _, err := h.Conferences.GetConference(ctx, organizerID, conferenceID); err != nil {
		return registrations.SeatQuotaConflictResolved{}, err
	}
	e, err := h.Registrations.ResolveConflict(ctx, conferenceID, number, res)
	if err != nil || e.QuotaRaisedBy == 0 {
		return e, err
	}
	if err := h.followRaisedQuota(ctx, organizerID, conferenceID, e.SeatType); err != nil {
		// The resolution stands; the next edit of the seat type lifts
		// its quota (SetSeatQuota never lowers below the seats sold).
		h.Log.Warn("conflict resolved; conference management quota not raised", "conference", conferenceID, "seat_type", e.SeatType, "err", err)
	}
	return e, nil
}

func (h *Hub) followRaisedQuota(ctx context.Context, organizerID, conferenceID, seatType uuid.UUID) error {
	av, err := h.Registrations.Availability(ctx, conferenceID)
	if err != nil {
		return err
	}
	list, err := h.Conferences.ListSeatTypes(ctx, organizerID, conferenceID)
	if err != nil {
		return err
	}
	for _, st := range list {
		if st.ID != seatType || st.Quota >= av.Quota(seatType) {
			continue
		}
		d := st.SeatTypeDetails
		d.Quota = av.Quota(seatType)
		_, err := h.Conferences.UpdateSeatType(ctx, organizerID, conferenceID, st.ID, d, h.Sold)
		return err
	}
	return nil
}
