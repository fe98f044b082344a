package readmodel_test

import (
	"encoding/json"
	"slices"
	"testing"

	"conference/hub/conferences"
	"conference/kiosk"
	"conference/kiosk/readmodel"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// The skipped-events count names only event types this build does not
// know: the hub's duplicate check-in warnings and conference publication
// or promo code events are known (a door has no use for them), a newer
// hub's types are not.
func TestOnlyTypesTheBuildDoesNotKnowAreSkipped(t *testing.T) {
	codec := kiosk.NewCodec()
	m := readmodel.New("k1", codec)
	conf := ids.New()
	pos := int64(0)
	raw := func(typ string, data any) {
		t.Helper()
		b, _ := json.Marshal(data)
		pos++
		if err := m.Apply(eventstore.Event{EventID: ids.New(), StreamID: "s", Type: typ, Schema: 1, Data: b, Origin: "hub", Position: pos}); err != nil {
			t.Fatal(err)
		}
	}
	raw(conferences.TypeConferenceCreated, conferences.ConferenceInfo{ConferenceID: conf, Name: "Conf", TimeZone: "UTC"})
	raw(conferences.TypeConferencePublished, conferences.ConferencePublished{ConferenceID: conf})
	raw(conferences.TypeConferenceUnpublished, conferences.ConferenceUnpublished{ConferenceID: conf})
	raw(conferences.TypePromoCodeCreated, map[string]any{"conference_id": conf})
	raw(registrations.DuplicateCheckInDetected{}.EventType(), registrations.DuplicateCheckInDetected{ConferenceID: conf,
		Attendee: onsite.Seat{OrderID: ids.New()}.String(), CheckIn: registrations.CheckInRef{EventID: ids.New(), KioskID: "k2"},
		Earlier: registrations.CheckInRef{EventID: ids.New(), KioskID: "k1"}})
	raw("registrations.RegistrationStarted", map[string]any{"order_id": ids.New()})
	if st := m.Stats(); st.SkippedEvents != 0 || len(st.SkippedTypes) != 0 {
		t.Fatalf("known types counted as skipped: %+v", st)
	}
	raw("future.BadgeEmbossed", map[string]any{"conference_id": conf})
	raw("future.BadgeEmbossed", map[string]any{"conference_id": conf})
	raw("conferences.VenueMoved", map[string]any{"conference_id": conf})
	st := m.Stats()
	if st.SkippedEvents != 3 || !slices.Equal(st.SkippedTypes, []string{"conferences.VenueMoved", "future.BadgeEmbossed"}) {
		t.Fatalf("skipped: %d %v, want 3 of conferences.VenueMoved and future.BadgeEmbossed", st.SkippedEvents, st.SkippedTypes)
	}
}
