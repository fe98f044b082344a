package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"conference/hub/hubapp/hubtest"
	"conference/shared/onsite"
	"conference/sync/merge/mergetest"
)

// readEvents reads server-sent events of one name from an open stream and
// sends their data, until the stream ends.
func readEvents(t *testing.T, resp *http.Response, name string) <-chan string {
	t.Helper()
	out := make(chan string, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == name:
				out <- strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out
}

// The check-in page shows, per seat type, the seats checked in against
// those sold, and its stream sends the new figures and the arrival as
// soon as a check-in reaches the hub: the page updates without a reload.
// Another organizer cannot open it.
func TestCheckInAtAGlanceFollowsCheckInsLive(t *testing.T) {
	th := startHub(t, Options{})
	v := th.venue(t, "Glance Conf", "glance")
	_, order := th.confirmedOrder(t, v, "glance", 2)
	caughtUp(t, th.hub)

	// A confirmed order's seats are committed just after it: wait for the
	// page to count them sold.
	hubtest.Eventually(t, 15*time.Second, "the page counting the order's seats sold", func() error {
		page := v.org.Get(confURL(v.conf, "/attendance")).Want(t, http.StatusOK, "Check-in", "Workshop", "Main hall", "Nobody checked in yet.")
		if !strings.Contains(page.Body, `<strong data-k="checked_in">0</strong> of <strong data-k="sold">2</strong>`) {
			return fmt.Errorf("totals before any check-in:\n%s", page.Body)
		}
		return nil
	})
	other := th.browser()
	other.signUp("Other Org", "other-glance@example.com")
	if p := other.Get(confURL(v.conf, "/attendance")); p.Status != http.StatusNotFound {
		t.Fatalf("another organizer opening the page: %d", p.Status)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, th.srv.URL+confURL(v.conf, "/attendance/live"), nil)
	resp, err := v.org.HC.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := readEvents(t, resp, "attendance")
	next := func() attendanceData {
		t.Helper()
		select {
		case data, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			var d attendanceData
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				t.Fatal(err)
			}
			return d
		case <-ctx.Done():
			t.Fatal("no attendance event in time")
		}
		return attendanceData{}
	}
	if d := next(); d.CheckedIn != 0 || d.Sold != 2 {
		t.Fatalf("first event: %+v", d)
	}

	// A kiosk's check-in of the order's first seat reaches the hub.
	mergetest.CheckIn(t, th.hub.Store, "door-1", mergetest.Conference{ID: v.conf}, onsite.Seat{OrderID: order})
	var d attendanceData
	for d = next(); d.CheckedIn == 0; d = next() {
	}
	var workshop attendanceLine
	for _, l := range d.Lines {
		if l.ID == v.workshop {
			workshop = l
		}
	}
	if d.CheckedIn != 1 || d.Percent != 50 || workshop.CheckedIn != 1 || workshop.Sold != 2 || len(d.Recent) != 1 ||
		d.Recent[0].SeatType != "Workshop" {
		t.Fatalf("after one check-in: %+v", d)
	}
	if d.Recent[0].Kiosk != "a kiosk" || !strings.HasPrefix(d.Recent[0].Name, "Rita Registrant (seat 1 of ") {
		t.Fatalf("arrival of an unknown kiosk: %+v", d.Recent[0])
	}
}
