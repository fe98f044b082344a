package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"conference/hub/api"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/kiosks"
	"conference/hub/server"
	"conference/shared/metrics/metricstest"
)

func serve(t *testing.T, cfg hubapp.Config) (*hubapp.Hub, string) {
	t.Helper()
	h := hubtest.OpenConfig(t, cfg)
	handler, err := server.New(h, func(e *echo.Echo) error { return api.Register(e, h, api.Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return h, srv.URL
}

// waitFor scrapes until check passes on a scrape, or fails the test after
// a deadline with what the last scrape said.
func waitFor(t *testing.T, url, what string, check func(metricstest.Families) error) metricstest.Families {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		f, err := metricstest.TryScrape(url, "")
		if err == nil {
			if err = check(f); err == nil {
				return f
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A scrape of /metrics parses as Prometheus's text format, and placing an
// order through the API moves the series an operator watches: requests by
// route pattern (never the raw path), orders by status, store appends and
// commit latency. A kiosk's upload backlog and lag follow what the sync
// server recorded. Runs on PostgreSQL too (CONFERENCE_TEST_DB=postgres).
func TestMetricsMoveWhenAnOrderIsPlaced(t *testing.T) {
	h, url := serve(t, hubapp.Config{})
	f := hubtest.PublishedConference(t, h)
	before := metricstest.Scrape(t, url, "")
	for _, name := range []string{"conference_orders", "conference_outbox_backlog_messages", "conference_outbox_dead_letters",
		"conference_kiosks_connected", "conference_store_commit_duration_seconds", "conference_store_appended_events_total"} {
		if _, ok := before.Value(name); !ok {
			t.Errorf("the first scrape has no %s", name)
		}
	}
	orders := func(fam metricstest.Families) float64 {
		n, _ := fam.Value("conference_orders")
		return n
	}
	appended, _ := before.Value("conference_store_appended_events_total")
	commits, _ := before.Value("conference_store_commit_duration_seconds")

	body, _ := json.Marshal(map[string]any{"seats": []map[string]any{{"seat_type": f.Paid.String(), "quantity": 2}}})
	resp, err := http.Post(url+api.Prefix+"/conferences/"+f.Slug+"/orders", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusAccepted {
		t.Fatalf("place order: status %d", resp.StatusCode)
	}
	after := waitFor(t, url, "the order reaches the read models' counts", func(fam metricstest.Families) error {
		if got, want := orders(fam), orders(before)+1; got != want {
			return fmt.Errorf("conference_orders sums to %v, want %v", got, want)
		}
		return nil
	})
	route := api.Prefix + "/conferences/:slug/orders"
	if n, _ := after.Value("conference_http_requests_total", "route", route, "method", "POST", "code", fmt.Sprint(resp.StatusCode)); n != 1 {
		t.Errorf("requests of route %s: got %v, want 1", route, n)
	}
	if n, _ := after.Value("conference_http_request_duration_seconds", "route", route); n != 1 {
		t.Errorf("latency samples of route %s: got %v, want 1", route, n)
	}
	if _, ok := after.Value("conference_http_requests_total", "route", api.Prefix+"/conferences/"+f.Slug+"/orders"); ok {
		t.Error("a raw path is a route label: one series per conference (or order) would follow")
	}
	if n, _ := after.Value("conference_store_appended_events_total"); n <= appended {
		t.Errorf("appended events: %v after placing an order, %v before", n, appended)
	}
	if n, _ := after.Value("conference_store_commit_duration_seconds"); n <= commits {
		t.Errorf("commits observed: %v after placing an order, %v before", n, commits)
	}

	// A paired kiosk's backlog and lag are what the sync server recorded.
	ctx := context.Background()
	created, err := h.Kiosks.CreateKiosk(ctx, f.OrganizerID, f.ConferenceID, "Door 1")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	p, err := h.Kiosks.Pair(ctx, created.PairingCode, pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Kiosks.RecordPresence(ctx, []kiosks.Presence{{KioskID: p.Kiosk.KioskID, At: time.Now(), PendingUploads: 3, DownCheckpoint: 1}}); err != nil {
		t.Fatal(err)
	}
	head, err := h.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kf := metricstest.Scrape(t, url, "")
	if n, ok := kf.Value("conference_kiosk_upload_backlog_events", "kiosk", p.Kiosk.KioskID); n != 3 {
		t.Errorf("upload backlog of the kiosk: got %v (present %v), want 3", n, ok)
	}
	if n, _ := kf.Value("conference_kiosk_sync_lag_positions", "kiosk", p.Kiosk.KioskID); n < float64(head-1) {
		t.Errorf("sync lag of the kiosk: got %v, want at least %d (head %d, checkpoint 1)", n, head-1, head)
	}
}

// With a metrics token, a scrape without it is refused and one with it
// answers.
func TestMetricsTokenIsRequiredWhenSet(t *testing.T) {
	_, url := serve(t, hubapp.Config{MetricsToken: "s3cret"})
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("scrape without the token: status %d, want 401", resp.StatusCode)
	}
	if _, ok := metricstest.Scrape(t, url, "s3cret").Value("conference_orders"); !ok {
		t.Fatal("a scrape with the token has no conference_orders")
	}
}
