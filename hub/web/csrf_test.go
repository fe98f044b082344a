package web

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEveryPostRouteRefusesAFormWithoutItsCSRFToken posts to every POST
// route the pages mount, organizer and registrant, as a browser that
// could otherwise make the change: once with no token and once with
// another browser's. Each is refused with 403 and the database is exactly
// as before.
func TestEveryPostRouteRefusesAFormWithoutItsCSRFToken(t *testing.T) {
	th := startHub(t, Options{SignInRate: 1000, LookupRate: 1000})
	w := th.ownerWorld(t)
	stranger := th.browser()
	stranger.Get("/")
	before := settledDigest(t, th)

	tokens := []struct{ name, value string }{{"no token", ""}, {"another browser's token", stranger.CSRF()}}
	posted := 0
	for _, r := range th.echo.Routes() {
		if r.Method != http.MethodPost || strings.HasPrefix(r.Path, "/api/") || strings.HasPrefix(r.Path, "/sync") || !strings.HasPrefix(r.Path, "/") {
			continue
		}
		// The browser that owns what the route changes: the organizer for
		// the back office, the registrant for their order and payment.
		b := w.owner
		if strings.HasPrefix(r.Path, "/orders/") || strings.HasPrefix(r.Path, "/pay/") || r.Path == "/c/:slug" || r.Path == "/find" {
			b = w.reg
		}
		path := w.ids(w.conf).Replace(r.Path)
		for _, tok := range tokens {
			form := url.Values{}
			for k, v := range hostile {
				form[k] = v
			}
			form.Set("qty_"+w.st.String(), "1")
			form.Set("password", "correct horse battery")
			if tok.value != "" {
				form.Set(csrfField, tok.value)
			}
			p := b.PostRaw(path, form)
			if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "The form had expired or did not come from this site") {
				t.Errorf("POST %s with %s: status %d location %q, want 403 saying the form expired", r.Path, tok.name, p.Status, p.Location)
			}
		}
		posted++
	}
	if posted < 24 { // the POST routes of web.go when this was written
		t.Fatalf("posted to %d routes, want every POST route", posted)
	}
	if after := settledDigest(t, th); after != before {
		t.Fatalf("the database changed after refused posts:\n%s", diffLines(before, after))
	}
	w.unchanged(t, th)
	// The refused sign-out left the organizer signed in.
	w.owner.Get("/org").Want(t, http.StatusOK, "Owner Secret Summit")
}

// settledDigest is dbDigest once the hub has finished what the set-up set
// in motion (the process manager completes a walk-up sale's seats after the
// sale is recorded, for one): no message due is waiting in the outbox, the
// read models have caught up, and two digests a moment apart agree.
func settledDigest(t testing.TB, th *testHub) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var due int
		err := th.hub.Store.DB().QueryRow(`SELECT count(*) FROM messages WHERE dispatched_at IS NULL AND dead = 0 AND not_before <= $1`,
			time.Now().UnixMilli()).Scan(&due)
		if err != nil {
			t.Fatal(err)
		}
		if due == 0 {
			first := dbDigest(t, th)
			time.Sleep(200 * time.Millisecond)
			if d := dbDigest(t, th); d == first {
				return d
			} else if time.Now().After(deadline) {
				t.Fatalf("the hub's database kept changing:\n%s", diffLines(first, d))
			}
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox messages due still waiting after 20 s", due)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dbDigest is every row of every table of the hub's database, one line per
// table with its row count and a hash of its rows.
func dbDigest(t testing.TB, th *testHub) string {
	t.Helper()
	caughtUp(t, th.hub)
	db := th.hub.Store.DB()
	tables, err := db.TableNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, table := range tables {
		rs, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rs.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		// Sorted here: a table scan's order is not stable on PostgreSQL,
		// where rewriting a row with the same values moves it.
		var lines []string
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatalf("read %s: %v", table, err)
			}
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		rs.Close()
		slices.Sort(lines)
		h := sha256.New()
		for _, l := range lines {
			fmt.Fprintln(h, l)
		}
		fmt.Fprintf(&out, "%s: %d rows %x\n", table, len(lines), h.Sum(nil)[:6])
	}
	return out.String()
}

// diffLines lists the lines of after that are not in before.
func diffLines(before, after string) string {
	old := map[string]bool{}
	for _, l := range strings.Split(before, "\n") {
		old[l] = true
	}
	var out []string
	for _, l := range strings.Split(after, "\n") {
		if !old[l] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
