package hubapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"conference/hub/hubapp/hubtest"
	"conference/shared/eventstore"
	"conference/shared/onsite"
)

// revocations reads the KioskRevoked events a store holds.
func revocations(t *testing.T, st eventstore.Store) ([]onsite.KioskRevoked, error) {
	t.Helper()
	evs, err := st.ReadLog(context.Background(), 0, 100000)
	if err != nil {
		return nil, err
	}
	var out []onsite.KioskRevoked
	for _, e := range evs {
		if e.Type != (onsite.KioskRevoked{}).EventType() {
			continue
		}
		var r onsite.KioskRevoked
		if err := json.Unmarshal(e.Data, &r); err != nil {
			return nil, err
		}
		if e.Origin != "hub" || e.StreamID != onsite.KioskStreamID(r.KioskID) {
			return nil, fmt.Errorf("revocation from %s in stream %s", e.Origin, e.StreamID)
		}
		out = append(out, r)
	}
	return out, nil
}

// The organizer revokes a kiosk: the hub records it once, as an event of
// the kiosk's conference, and sync carries it to the other kiosks.
func TestARevocationReachesTheConferencesKiosksAsAHubEvent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	hs := httptest.NewServer(mustHandler(t, h))
	defer hs.Close()
	link, door1 := connectKiosk(ctx, t, h, f, hs.URL)

	door2, err := h.Kiosks.CreateKiosk(ctx, f.OrganizerID, f.ConferenceID, "Door 2")
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	for range 2 { // revoking twice changes nothing
		if err := h.Kiosks.Revoke(ctx, f.OrganizerID, door2.Kiosk.ID); err != nil {
			t.Fatal(err)
		}
	}
	// state says where the waiting party stands, for a failure's message.
	check := func(where string, st eventstore.Store, state func() string) {
		hubtest.Eventually(t, 10*time.Second, "the revocation in the "+where+"'s log", func() error {
			got, err := revocations(t, st)
			if err != nil {
				return err
			}
			if len(got) != 1 {
				return fmt.Errorf("%d revocations (%s)", len(got), state())
			}
			r := got[0]
			if r.KioskID != door2.Kiosk.ID || r.Name != "Door 2" || r.ConferenceID != f.ConferenceID || r.At.Before(before) {
				return fmt.Errorf("revocation %+v", r)
			}
			return nil
		})
	}
	check("hub", h.Store, func() string {
		head, err := h.Store.Head(ctx)
		return fmt.Sprintf("hub log head %d, %v", head, err)
	})
	check("kiosk", door1, func() string { return fmt.Sprintf("kiosk link %+v", link.Status()) })
	listed, err := h.Kiosks.List(ctx, f.OrganizerID, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := revocations(t, h.Store)
	for _, k := range listed {
		if k.ID == door2.Kiosk.ID && !k.RevokedAt.Equal(got[0].At) {
			t.Errorf("registry says revoked at %s, the event %s", k.RevokedAt, got[0].At)
		}
	}
}
