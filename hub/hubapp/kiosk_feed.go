package hubapp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/eventstore"
	"conference/shared/onsite"
)

// subKioskFeed names the handler that copies Conference Management's
// integration events into the event log.
const subKioskFeed = "sync.conference-feed"

// kioskFeedNamespace derives a feed event's id from its message's id, so a
// redelivered message appends nothing new.
var kioskFeedNamespace = uuid.MustParse("3b0c8f5e-2a61-4c8e-9d0b-7e4f2a9c6d15")

// ConferenceStreamID is the log stream holding a conference's published
// description for kiosks.
func ConferenceStreamID(conferenceID uuid.UUID) string { return "conference-" + conferenceID.String() }

// subscribeKioskFeed copies conference and seat-type descriptions, and
// kiosk revocations, into the event log. Kiosks learn everything through
// the log (sync pages it by conference), but Conference Management and the
// kiosk registry are plain SQL whose changes live only in the outbox; a
// kiosk needs seat type names, prices and on-site policies to sell at the
// door, and the revoked kiosks to judge the badges they signed.
func (h *Hub) subscribeKioskFeed() error {
	for _, typ := range []string{
		conferences.TypeConferenceCreated, conferences.TypeConferenceUpdated,
		conferences.TypeConferencePublished, conferences.TypeConferenceUnpublished,
		conferences.TypeSeatTypeCreated, conferences.TypeSeatTypeUpdated,
	} {
		if err := h.Bus.Subscribe(subKioskFeed, typ, h.onConferenceFeed); err != nil {
			return err
		}
	}
	return h.Bus.Subscribe(subKioskFeed, onsite.KioskRevoked{}.EventType(), h.onKioskRevoked)
}

func (h *Hub) onConferenceFeed(ctx context.Context, m eventstore.Message) error {
	var head struct {
		ConferenceID uuid.UUID `json:"conference_id"`
	}
	if err := json.Unmarshal(m.Data, &head); err != nil || head.ConferenceID == uuid.Nil {
		return fmt.Errorf("decode %s %s: conference id missing: %v", m.Type, m.ID, err)
	}
	return h.feed(ctx, m, eventstore.Stream{ID: ConferenceStreamID(head.ConferenceID), Type: "conferences.Conference"})
}

// onKioskRevoked records the registry's revocation as a hub event of the
// kiosk's conference, which sync carries to every kiosk of it.
func (h *Hub) onKioskRevoked(ctx context.Context, m eventstore.Message) error {
	var r onsite.KioskRevoked
	if err := json.Unmarshal(m.Data, &r); err != nil || r.ConferenceID == uuid.Nil || r.KioskID == "" {
		return fmt.Errorf("decode %s %s: conference or kiosk id missing: %v", m.Type, m.ID, err)
	}
	return h.feed(ctx, m, eventstore.Stream{ID: onsite.KioskStreamID(r.KioskID), Type: onsite.KioskStreamType})
}

// feed appends message m to the log as an event of stream, once.
func (h *Hub) feed(ctx context.Context, m eventstore.Message, stream eventstore.Stream) error {
	_, err := h.Store.Append(ctx, stream, eventstore.AnyVersion, []eventstore.Event{{
		EventID: uuid.NewSHA1(kioskFeedNamespace, m.ID[:]), Type: m.Type, Schema: 1, Data: m.Data,
		CorrelationID: m.CorrelationID, CausationID: m.ID,
	}})
	if err != nil {
		return fmt.Errorf("feed %s %s to the log: %w", m.Type, m.ID, err)
	}
	return nil
}
