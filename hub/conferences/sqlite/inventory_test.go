package sqlite_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/conferences/sqlite"
)

// recordingInventory is the inventory port as registrations sees it: what
// the service had committed each time it was asked to sync.
type recordingInventory struct {
	svc   *sqlite.Service
	slug  string
	fail  error
	syncs []inventorySync
}

type inventorySync struct {
	published bool
	quotas    map[uuid.UUID]int
}

func (r *recordingInventory) SyncQuotas(ctx context.Context, conferenceID uuid.UUID) error {
	if r.fail != nil {
		return r.fail
	}
	list, err := r.svc.SeatTypesOf(ctx, conferenceID)
	if err != nil {
		return err
	}
	s := inventorySync{quotas: map[uuid.UUID]int{}}
	for _, st := range list {
		s.quotas[st.ID] = st.Quota
	}
	_, err = r.svc.GetPublishedBySlug(ctx, r.slug)
	s.published = err == nil
	r.syncs = append(r.syncs, s)
	return nil
}

func TestPublishingBringsEveryQuotaToTheInventoryBeforeTheSaleOpens(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	inv := &recordingInventory{svc: f.svc, slug: c.Slug}
	f.svc.Inventory = inv
	full := f.seatType(t, ann, c, "Full pass", 100)
	workshop := f.seatType(t, ann, c, "Workshop", 12)
	inv.syncs = nil

	if _, err := f.svc.Publish(ctx, ann.ID, c.ID); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if len(inv.syncs) != 1 {
		t.Fatalf("got %d syncs, want one before publishing", len(inv.syncs))
	}
	s := inv.syncs[0]
	if s.published || s.quotas[full.ID] != 100 || s.quotas[workshop.ID] != 12 {
		t.Fatalf("got sync %+v, want both quotas while the conference was not yet on sale", s)
	}
}

func TestPublishingIsRefusedAndChangesNothingWhenTheInventoryCannotTakeTheQuotas(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann, bob := f.organizer(t, "ann@example.com"), f.organizer(t, "bob@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	f.seatType(t, ann, c, "Full pass", 100)
	broken := errors.New("disk full")
	inv := &recordingInventory{svc: f.svc, slug: c.Slug, fail: broken}
	f.svc.Inventory = inv
	messages := len(f.messages(t))

	_, err := f.svc.Publish(ctx, ann.ID, c.ID)
	wantErr(t, err, broken)
	_, err = f.svc.Publish(ctx, bob.ID, c.ID) // another tenant is refused before any sync
	wantErr(t, err, conferences.ErrNotFound)
	if got, _ := f.svc.GetConference(ctx, ann.ID, c.ID); got.Published {
		t.Fatal("conference published although the inventory did not take its quotas")
	}
	if got := len(f.messages(t)); got != messages {
		t.Fatalf("got %d messages, want still %d", got, messages)
	}
}

func TestSeatTypeChangesReachTheInventoryBeforeTheCallReturns(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	c := f.conference(t, ann, "gophercon-pt")
	inv := &recordingInventory{svc: f.svc, slug: c.Slug}
	f.svc.Inventory = inv

	st := f.seatType(t, ann, c, "Workshop", 12)
	if len(inv.syncs) != 1 || inv.syncs[0].quotas[st.ID] != 12 {
		t.Fatalf("got syncs %+v, want one with the new seat type's quota", inv.syncs)
	}
	d := st.SeatTypeDetails
	d.Quota = 20
	if _, err := f.svc.UpdateSeatType(ctx, ann.ID, c.ID, st.ID, d, nil); err != nil {
		t.Fatal(err)
	}
	if len(inv.syncs) != 2 || inv.syncs[1].quotas[st.ID] != 20 {
		t.Fatalf("got syncs %+v, want a second one with the raised quota", inv.syncs)
	}

	// A failing sync does not undo a committed change: its integration
	// event carries the quota a moment later.
	inv.fail = errors.New("disk full")
	f.svc.Logger = slog.New(slog.DiscardHandler)
	d.Quota = 25
	got, err := f.svc.UpdateSeatType(ctx, ann.ID, c.ID, st.ID, d, nil)
	if err != nil || got.Quota != 25 {
		t.Fatalf("got %+v, %v, want the change saved", got, err)
	}
}
