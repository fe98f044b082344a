package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"conference/hub/conferences"
)

func TestCreatingAConferencePublishesConferenceCreated(t *testing.T) {
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")

	c := f.conference(t, ann, "gophercon-pt")

	if c.Published || c.ReservationWindow != conferences.DefaultReservationWindow {
		t.Fatalf("got published=%v window=%v, want unpublished with the default window", c.Published, c.ReservationWindow)
	}
	got, err := f.svc.GetConference(context.Background(), ann.ID, c.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Slug != "gophercon-pt" || !got.StartsAt.Equal(c.StartsAt) || got.TimeZone != "Europe/Lisbon" {
		t.Fatalf("got %+v, want the created conference", got)
	}
	var e conferences.ConferenceCreated
	onlyMessage(t, f.messages(t), conferences.TypeConferenceCreated, &e)
	if e.ConferenceID != c.ID || e.OrganizerID != ann.ID || e.Slug != c.Slug || e.ReservationWindowMinutes != 15 {
		t.Fatalf("got %+v, want the created conference", e)
	}
}

func TestEveryConferenceChangeWritesOneMatchingMessage(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")

	before := len(f.messages(t))
	in := details("gophercon-pt")
	in.Name, in.ReservationWindow = "GopherCon Portugal", 30*time.Minute
	if _, err := f.svc.UpdateConference(ctx, ann.ID, c.ID, in); err != nil {
		t.Fatalf("update: %v", err)
	}
	var updated conferences.ConferenceUpdated
	onlyMessage(t, f.newMessages(t, before), conferences.TypeConferenceUpdated, &updated)
	if updated.Name != "GopherCon Portugal" || updated.ReservationWindowMinutes != 30 {
		t.Fatalf("got %+v, want the new name and window", updated)
	}

	before = len(f.messages(t))
	if _, err := f.svc.Publish(ctx, ann.ID, c.ID); err != nil {
		t.Fatalf("publish: %v", err)
	}
	var published conferences.ConferencePublished
	onlyMessage(t, f.newMessages(t, before), conferences.TypeConferencePublished, &published)
	if published.ConferenceID != c.ID {
		t.Fatalf("got %+v, want conference %s", published, c.ID)
	}

	before = len(f.messages(t))
	if _, err := f.svc.Publish(ctx, ann.ID, c.ID); err != nil {
		t.Fatalf("publish again: %v", err)
	}
	if got := f.newMessages(t, before); len(got) != 0 {
		t.Fatalf("got %d messages for publishing twice, want none", len(got))
	}

	before = len(f.messages(t))
	got, err := f.svc.Unpublish(ctx, ann.ID, c.ID)
	if err != nil {
		t.Fatalf("unpublish: %v", err)
	}
	if got.Published {
		t.Fatal("got published, want unpublished")
	}
	var unpublished conferences.ConferenceUnpublished
	onlyMessage(t, f.newMessages(t, before), conferences.TypeConferenceUnpublished, &unpublished)
}

func TestDuplicateSlugIsAConflictAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann, bob := f.organizer(t, "ann@example.com"), f.organizer(t, "bob@example.com")
	f.conference(t, ann, "gophercon-pt")
	other := f.conference(t, bob, "rustconf")
	messages := len(f.messages(t))

	_, err := f.svc.CreateConference(ctx, bob.ID, details("GopherCon-PT"))
	wantErr(t, err, conferences.ErrConflict)
	_, err = f.svc.UpdateConference(ctx, bob.ID, other.ID, details("gophercon-pt"))
	wantErr(t, err, conferences.ErrConflict)

	if got := f.count(t, "conferences"); got != 2 {
		t.Fatalf("got %d conferences, want 2", got)
	}
	if got := len(f.messages(t)); got != messages {
		t.Fatalf("got %d messages, want still %d", got, messages)
	}
	if got, _ := f.svc.GetConference(ctx, bob.ID, other.ID); got.Slug != "rustconf" {
		t.Fatalf("got slug %q, want rustconf unchanged", got.Slug)
	}
}

func TestInvalidConferenceNamesTheFieldAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	messages := len(f.messages(t))

	bad := details("new-conf")
	bad.TimeZone = "Atlantis/Capital"
	_, err := f.svc.CreateConference(ctx, ann.ID, bad)
	wantField(t, err, "time_zone")

	bad = details("gophercon-pt")
	bad.EndsAt = bad.StartsAt
	_, err = f.svc.UpdateConference(ctx, ann.ID, c.ID, bad)
	wantField(t, err, "ends_at")

	bad = details("gophercon-pt")
	bad.ReservationWindow = 3 * time.Hour
	_, err = f.svc.UpdateConference(ctx, ann.ID, c.ID, bad)
	wantField(t, err, "reservation_window")

	if got := f.count(t, "conferences"); got != 1 {
		t.Fatalf("got %d conferences, want 1", got)
	}
	if got := len(f.messages(t)); got != messages {
		t.Fatalf("got %d messages, want still %d", got, messages)
	}
	got, _ := f.svc.GetConference(ctx, ann.ID, c.ID)
	if !got.EndsAt.Equal(c.EndsAt) || got.ReservationWindow != c.ReservationWindow {
		t.Fatalf("got %+v, want the conference unchanged", got)
	}
}

func TestAnotherOrganizerCannotSeeOrChangeTheConference(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann, bob := f.organizer(t, "ann@example.com"), f.organizer(t, "bob@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	st := f.seatType(t, ann, c, "Full pass", 100)
	messages := len(f.messages(t))

	_, err := f.svc.GetConference(ctx, bob.ID, c.ID)
	wantErr(t, err, conferences.ErrNotFound)
	_, err = f.svc.UpdateConference(ctx, bob.ID, c.ID, details("stolen"))
	wantErr(t, err, conferences.ErrNotFound)
	_, err = f.svc.Publish(ctx, bob.ID, c.ID)
	wantErr(t, err, conferences.ErrNotFound)
	_, err = f.svc.Unpublish(ctx, bob.ID, c.ID)
	wantErr(t, err, conferences.ErrNotFound)
	_, err = f.svc.AddSeatType(ctx, bob.ID, c.ID, seatDetails("Free pass", 10))
	wantErr(t, err, conferences.ErrNotFound)
	_, err = f.svc.UpdateSeatType(ctx, bob.ID, c.ID, st.ID, seatDetails("Full pass", 1000), nil)
	wantErr(t, err, conferences.ErrNotFound)
	_, err = f.svc.ListSeatTypes(ctx, bob.ID, c.ID)
	wantErr(t, err, conferences.ErrNotFound)
	if list, err := f.svc.ListConferences(ctx, bob.ID); err != nil || len(list) != 0 {
		t.Fatalf("got %d conferences, %v, want none", len(list), err)
	}

	if got := len(f.messages(t)); got != messages {
		t.Fatalf("got %d messages, want still %d", got, messages)
	}
	got, _ := f.svc.GetConference(ctx, ann.ID, c.ID)
	if got.Slug != "gophercon-pt" || got.Published {
		t.Fatalf("got %+v, want ann's conference unchanged", got)
	}
}

func TestPublishedListingShowsOnlyPublishedConferences(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	live := f.conference(t, ann, "gophercon-pt")
	f.conference(t, ann, "draft-conf")
	if _, err := f.svc.Publish(ctx, ann.ID, live.ID); err != nil {
		t.Fatalf("publish: %v", err)
	}

	list, err := f.svc.ListPublished(ctx)
	if err != nil {
		t.Fatalf("list published: %v", err)
	}
	if len(list) != 1 || list[0].ID != live.ID {
		t.Fatalf("got %d conferences, want only %s", len(list), live.Slug)
	}
	if got, err := f.svc.GetPublishedBySlug(ctx, "gophercon-pt"); err != nil || got.ID != live.ID {
		t.Fatalf("got %v, %v, want the published conference", got, err)
	}
	_, err = f.svc.GetPublishedBySlug(ctx, "draft-conf")
	wantErr(t, err, conferences.ErrNotFound)
	if mine, _ := f.svc.ListConferences(ctx, ann.ID); len(mine) != 2 {
		t.Fatalf("got %d of ann's conferences, want both", len(mine))
	}
}

func TestConcurrentChangesEachPublishTheirOwnMessage(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")

	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := f.svc.CreateConference(ctx, ann.ID, details(fmt.Sprintf("conf-%02d", i)))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	if got := f.count(t, "conferences"); got != n {
		t.Fatalf("got %d conferences, want %d", got, n)
	}
	if got := len(f.messages(t)); got != n {
		t.Fatalf("got %d messages, want %d", got, n)
	}
}
