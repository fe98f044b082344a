package mail

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// NoticesCheckpoint names the Notices follower's checkpoint and lease.
const NoticesCheckpoint = "mail notices"

// Notices follows the event log and asks for the mails the registrations
// domain's events call for: a confirmation when an order is confirmed, a
// notice when one is cancelled, an offer when the waitlist offers seats.
// Each request's id derives from its event's, and a page of requests is
// written with the checkpoint in one transaction; a replay after a crash
// or a lease handed over writes the same ids again, which the outbox
// ignores, so nothing is asked for twice. Run it from one goroutine.
type Notices struct {
	store  sqldb.Store
	events *eventsourcing.Registry
	log    *slog.Logger
	// Page is how many events a step reads (default 256).
	Page int

	pos     int64 // handled up to here
	loaded  bool
	savedAt time.Time // when pos was last stored
	saved   int64
}

// saveEvery is how often a follower that wrote no request stores its
// position: a replay of what came after asks for nothing, so storing it
// at every page would only add write transactions.
const saveEvery = 250 * time.Millisecond

// NewNotices returns the follower of store's log.
func NewNotices(store sqldb.Store, log *slog.Logger) *Notices {
	events := eventsourcing.NewRegistry()
	registrations.RegisterEvents(events)
	if log == nil {
		log = slog.Default()
	}
	return &Notices{store: store, events: events, log: log, Page: 256}
}

// StartAtHead makes a follower that never ran start at the log's head: a
// hub that gains mail does not mail everyone it ever confirmed. Replicas
// calling it together agree on one position.
func (n *Notices) StartAtHead(ctx context.Context) error {
	head, err := n.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("mail notices: %w", err)
	}
	err = n.store.Write(ctx, func(tx sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (name, position) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			NoticesCheckpoint, head)
		return err
	})
	if err != nil {
		return fmt.Errorf("mail notices: start at %d: %w", head, err)
	}
	return nil
}

// Run follows the log until ctx ends; a failing step is logged and tried
// again after a pause.
func (n *Notices) Run(ctx context.Context) error {
	// A lease taken (again) starts from the stored position: another
	// replica may have moved it.
	n.loaded = false
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := n.save(sctx); err != nil {
			n.log.Warn("mail notices stopping", "err", err)
		}
	}()
	for {
		read, err := n.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			n.log.Error("mail notices", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		if read > 0 {
			continue
		}
		if err := n.save(ctx); err != nil {
			n.log.Warn("mail notices", "err", err)
		}
		if err := n.store.WaitForAppend(ctx, n.pos); err != nil && ctx.Err() == nil {
			return fmt.Errorf("mail notices: wait after %d: %w", n.pos, err)
		}
	}
}

// save stores the position reached if it moved.
func (n *Notices) save(ctx context.Context) error {
	if n.pos == n.saved {
		return nil
	}
	pos := n.pos
	err := n.store.Write(ctx, func(tx sqldb.Tx) error { return sqldb.SaveCheckpoint(ctx, tx, NoticesCheckpoint, pos) })
	if err != nil {
		return fmt.Errorf("mail notices: save position %d: %w", pos, err)
	}
	n.saved, n.savedAt = pos, time.Now()
	return nil
}

// Step reads one page of the log after the checkpoint, writes the mail
// requests it calls for with the new checkpoint, and reports how many
// events it read.
func (n *Notices) Step(ctx context.Context) (int, error) {
	if !n.loaded {
		pos, err := sqldb.Checkpoint(ctx, n.store.DB(), NoticesCheckpoint)
		if err != nil {
			return 0, err
		}
		n.pos, n.saved, n.loaded = pos, pos, true
	}
	evs, err := n.store.ReadLog(ctx, n.pos, n.Page)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	var msgs []eventstore.Message
	for _, e := range evs {
		req, ok, err := n.request(e)
		if err != nil {
			return 0, fmt.Errorf("mail notices: event %s at %d: %w", e.EventID, e.Position, err)
		}
		if !ok {
			continue
		}
		m, err := NewMessage(e.EventID, req)
		if err != nil {
			return 0, err
		}
		msgs = append(msgs, m)
	}
	last := evs[len(evs)-1].Position
	if len(msgs) == 0 {
		n.pos = last
		if time.Since(n.savedAt) >= saveEvery {
			return len(evs), n.save(ctx)
		}
		return len(evs), nil
	}
	err = n.store.Write(ctx, func(tx sqldb.Tx) error {
		if err := n.store.EnqueueTx(ctx, tx, msgs...); err != nil {
			return err
		}
		return sqldb.SaveCheckpoint(ctx, tx, NoticesCheckpoint, last)
	})
	if err != nil {
		return 0, fmt.Errorf("mail notices: write %d requests up to %d: %w", len(msgs), last, err)
	}
	n.pos, n.saved, n.savedAt = last, last, time.Now()
	n.store.NotifyMessages()
	return len(evs), nil
}

// noticeEvents are the event types that call for a mail.
var noticeEvents = map[string]bool{
	registrations.OrderConfirmed{}.EventType():    true,
	registrations.OrderCancelled{}.EventType():    true,
	registrations.WaitlistOfferMade{}.EventType(): true,
}

// request is the mail an event calls for, if any.
func (n *Notices) request(e eventstore.Event) (Request, bool, error) {
	if !noticeEvents[e.Type] {
		return Request{}, false, nil
	}
	ev, err := n.events.Decode(e.Type, e.Schema, e.Data)
	if err != nil {
		return Request{}, false, err
	}
	switch m := ev.(type) {
	case registrations.OrderConfirmed:
		return Request{Kind: OrderConfirmed, ConferenceID: m.ConferenceID, OrderID: m.OrderID}, true, nil
	case registrations.OrderCancelled:
		return Request{Kind: OrderCancelled, ConferenceID: m.ConferenceID, OrderID: m.OrderID, Reason: m.Reason,
			WasConfirmed: m.WasConfirmed}, true, nil
	case registrations.WaitlistOfferMade:
		return Request{Kind: WaitlistOffer, ConferenceID: m.ConferenceID, EntryID: m.EntryID, SeatType: m.SeatType,
			Quantity: m.Quantity, ExpiresAt: m.ExpiresAt}, true, nil
	}
	return Request{}, false, nil
}
