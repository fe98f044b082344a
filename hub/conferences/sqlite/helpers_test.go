package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"conference/hub/conferences"
	"conference/hub/conferences/sqlite"
	"conference/migrations"
	"conference/shared/eventstore"
	"conference/shared/eventstore/backendtest"
	"conference/shared/registrations"
)

// fixture is a Service on a real database (backendtest's current backend)
// with the store it writes to.
type fixture struct {
	svc   *sqlite.Service
	store backendtest.Store
}

func mustOpen(tb testing.TB) *fixture {
	tb.Helper()
	store := backendtest.Open(tb, backendtest.Options{Components: []migrations.Component{migrations.Hub}})
	return &fixture{svc: sqlite.New(store), store: store}
}

func (f *fixture) organizer(tb testing.TB, email string) *conferences.Organizer {
	tb.Helper()
	o, err := f.svc.CreateOrganizer(context.Background(), conferences.NewOrganizer{Email: email, DisplayName: "Organizer " + email})
	if err != nil {
		tb.Fatalf("create organizer: %v", err)
	}
	return o
}

func details(slug string) conferences.ConferenceDetails {
	start := time.Date(2027, 5, 10, 9, 0, 0, 0, time.UTC)
	return conferences.ConferenceDetails{
		Slug: slug, Name: "Conference " + slug, Tagline: "All about Go", Venue: "Lisbon Congress Centre",
		TimeZone: "Europe/Lisbon", StartsAt: start, EndsAt: start.Add(48 * time.Hour), Currency: "EUR",
	}
}

func (f *fixture) conference(tb testing.TB, owner *conferences.Organizer, slug string) *conferences.Conference {
	tb.Helper()
	c, err := f.svc.CreateConference(context.Background(), owner.ID, details(slug))
	if err != nil {
		tb.Fatalf("create conference: %v", err)
	}
	return c
}

func seatDetails(name string, quota int) conferences.SeatTypeDetails {
	return conferences.SeatTypeDetails{Name: name, Description: "Access to every talk",
		Price: registrations.NewMoney(49900, "EUR"), Quota: quota}
}

func (f *fixture) seatType(tb testing.TB, owner *conferences.Organizer, c *conferences.Conference, name string, quota int) *conferences.SeatType {
	tb.Helper()
	st, err := f.svc.AddSeatType(context.Background(), owner.ID, c.ID, seatDetails(name, quota))
	if err != nil {
		tb.Fatalf("add seat type: %v", err)
	}
	return st
}

// messages returns every outbox message written so far, oldest first.
func (f *fixture) messages(tb testing.TB) []eventstore.Message {
	tb.Helper()
	msgs, err := f.store.PendingMessages(context.Background(), time.Now().Add(time.Hour), 1000)
	if err != nil {
		tb.Fatalf("read outbox: %v", err)
	}
	return msgs
}

// newMessages returns the messages written since before (a count).
func (f *fixture) newMessages(tb testing.TB, before int) []eventstore.Message {
	tb.Helper()
	return f.messages(tb)[before:]
}

func (f *fixture) count(tb testing.TB, table string) int {
	tb.Helper()
	var n int
	if err := f.store.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

// onlyMessage asserts msgs is exactly one event of type typ and decodes it.
func onlyMessage(tb testing.TB, msgs []eventstore.Message, typ string, into any) {
	tb.Helper()
	if len(msgs) != 1 {
		tb.Fatalf("got %d messages, want exactly one %s", len(msgs), typ)
	}
	m := msgs[0]
	if m.Type != typ || m.Kind != eventstore.KindEvent {
		tb.Fatalf("got %s %s, want event %s", m.Kind, m.Type, typ)
	}
	if err := json.Unmarshal(m.Data, into); err != nil {
		tb.Fatalf("decode %s: %v", typ, err)
	}
}

func wantField(tb testing.TB, err error, field string) {
	tb.Helper()
	var ve *conferences.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, conferences.ErrInvalid) {
		tb.Fatalf("got %v, want a *ValidationError matching ErrInvalid", err)
	}
	if ve.Field != field {
		tb.Fatalf("got field %q, want %q", ve.Field, field)
	}
}

func wantErr(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("got %v, want %v", err, target)
	}
}
