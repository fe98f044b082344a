package main

import (
	"fmt"
	"net/http"
	neturl "net/url"
	"testing"
	"time"

	"conference/shared/metrics/metricstest"
)

// A running kiosk serves /metrics in Prometheus's text format; checking an
// attendee in moves the store's appends and commits, the upload backlog
// (the kiosk is offline) and the check-in count, and the request is
// counted by its route pattern.
func TestKioskMetricsMoveWhenAnAttendeeIsCheckedIn(t *testing.T) {
	db, order := loadedKiosk(t)
	url, stop := startServe(t, map[string]string{"KIOSK_DB": db, "KIOSK_ADDR": "127.0.0.1:0", "KIOSK_LOG_LEVEL": "warn"})
	before := metricstest.Scrape(t, url, "")
	if n, ok := before.Value("conference_sync_upload_backlog_events"); !ok || n != 0 {
		t.Fatalf("upload backlog before any action: %v (present %v), want 0", n, ok)
	}
	appended, _ := before.Value("conference_store_appended_events_total")

	c, csrf := unlocked(t, url)
	path := fmt.Sprintf("/attendees/%s/0/check-in", order.ID)
	resp, err := c.PostForm(url+path, neturl.Values{"_csrf": {csrf}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("check in: status %d", resp.StatusCode)
	}
	var after metricstest.Families
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		after = metricstest.Scrape(t, url, "")
		if n, _ := after.Value("conference_kiosk_checked_in_attendees"); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the check-in never reached conference_kiosk_checked_in_attendees")
		}
	}
	if n, _ := after.Value("conference_sync_upload_backlog_events"); n < 1 {
		t.Errorf("upload backlog after a check-in offline: %v, want at least 1", n)
	}
	if n, _ := after.Value("conference_store_appended_events_total"); n <= appended {
		t.Errorf("appended events: %v after the check-in, %v before", n, appended)
	}
	if n, _ := after.Value("conference_http_requests_total", "route", "/attendees/:order/:pos/check-in", "code", "303"); n != 1 {
		t.Errorf("check-in requests by route pattern: %v, want 1", n)
	}
	if n, _ := after.Value("conference_sync_online"); n != 0 {
		t.Errorf("online: %v for a kiosk whose hub is not there", n)
	}
	must(t, stop())
}
