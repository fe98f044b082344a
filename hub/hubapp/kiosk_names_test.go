package hubapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/kiosks"
	"conference/shared/onsite"
)

// kioskName reads the name the log holds for a kiosk.
func kioskName(ctx context.Context, h *hubapp.Hub, kioskID string) (onsite.KioskNamed, error) {
	evs, err := h.Store.ReadStream(ctx, onsite.KioskStreamID(kioskID), 0)
	if err != nil {
		return onsite.KioskNamed{}, err
	}
	if len(evs) != 1 || evs[0].Type != "onsite.KioskNamed" || evs[0].Origin != "hub" {
		return onsite.KioskNamed{}, fmt.Errorf("kiosk stream holds %d events", len(evs))
	}
	var e onsite.KioskNamed
	return e, json.Unmarshal(evs[0].Data, &e)
}

func TestAKioskCreatedIsNamedInTheLogAndOldKiosksAreNamedAtStart(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hub.db")
	var old kiosks.Created
	var f hubtest.Fixture
	t.Run("a hub whose kiosk was created before names were recorded", func(t *testing.T) {
		h := hubtest.OpenConfig(t, hubapp.Config{DB: db})
		f = hubtest.PublishedConference(t, h)
		bare, err := kiosks.New(h.Store.DB(), kiosks.Config{Conferences: h.Conferences})
		if err != nil {
			t.Fatal(err)
		}
		if old, err = bare.CreateKiosk(ctx, f.OrganizerID, f.ConferenceID, "Side door"); err != nil {
			t.Fatal(err)
		}
		if _, err := kioskName(ctx, h, old.Kiosk.ID); err == nil {
			t.Fatal("the bare registry named its kiosk")
		}
	})

	h := hubtest.OpenConfig(t, hubapp.Config{DB: db})
	// Created now: named at once.
	created, err := h.Kiosks.CreateKiosk(ctx, f.OrganizerID, f.ConferenceID, "Demo door")
	if err != nil {
		t.Fatal(err)
	}
	e, err := kioskName(ctx, h, created.Kiosk.ID)
	if err != nil || e.Name != "Demo door" || e.ConferenceID != f.ConferenceID || e.KioskID != created.Kiosk.ID {
		t.Fatalf("new kiosk's name in the log: %+v %v", e, err)
	}
	// Created before: named as the hub started, once.
	hubtest.Eventually(t, 10*time.Second, "the old kiosk named", func() error {
		e, err := kioskName(ctx, h, old.Kiosk.ID)
		if err == nil && e.Name != "Side door" {
			return fmt.Errorf("named %q", e.Name)
		}
		return err
	})
}
