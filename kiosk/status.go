package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"conference/kiosk/readmodel"
	"conference/shared/eventstore"
	"conference/shared/hlc"
)

// Status is what the status bar shows and `kiosk status` prints.
type Status struct {
	KioskID string
	// Name is the kiosk's name as the organizer gave it; "" until the
	// hub's record of it arrived.
	Name   string
	Paired bool
	// RestartRequired: pairing changed the kiosk id while running.
	RestartRequired bool
	// Online is set by the sync client.
	Online bool
	// CanRecord is false after a write failed (disk full, read-only) until
	// a write succeeds again, an action's or the probe Status makes;
	// LastError says why.
	CanRecord bool
	LastError string
	// LastOwnSeq is the origin_seq of the kiosk's latest own event,
	// AckedSeq the last the hub acknowledged; PendingUpload the difference.
	LastOwnSeq    int64
	AckedSeq      int64
	PendingUpload int64
	// HubSeen is the hub log position applied here; HubHead the hub's
	// log head as last heard (0 before the first connection): the kiosk
	// is catching up while HubSeen < HubHead.
	HubSeen int64
	HubHead int64
	// Allocation lists, per conference served, each seat type with this
	// kiosk's allocation left.
	Allocation map[uuid.UUID][]readmodel.InventoryLine
	Stats      readmodel.Stats
	// Convergence is the latest comparison of the kiosk's digests with the
	// hub's (since the kiosk started).
	Convergence Convergence
}

// Status reports the kiosk's state. While the kiosk cannot record, it first
// probes whether the store writes again (Recheck), so a screen refreshing
// its status switches actions back on once the disk has room.
func (k *Kiosk) Status(ctx context.Context) (Status, error) {
	_ = k.Recheck(ctx) // its outcome is CanRecord below
	id, paired := k.Identity()
	k.idMu.RLock()
	restart := k.restart
	k.idMu.RUnlock()
	st := Status{KioskID: id.KioskID, Paired: paired, RestartRequired: restart, Online: k.online.Load(),
		CanRecord: true, HubSeen: k.hubSeen.Load(), HubHead: k.hubHead.Load(), Stats: k.model.Stats(), Allocation: map[uuid.UUID][]readmodel.InventoryLine{}}
	st.Name, _ = k.Name()
	st.Convergence = k.Convergence()
	if msg := k.lastError.Load(); msg != nil {
		st.CanRecord, st.LastError = false, *msg
	}
	st.LastOwnSeq = k.lastOwnSeq()
	if err := k.store.DB().QueryRowContext(ctx, `SELECT acked_seq FROM kiosk_sync WHERE singleton = 1`).Scan(&st.AckedSeq); err != nil {
		return st, fmt.Errorf("read acknowledged seq: %w", err)
	}
	st.PendingUpload = max(0, st.LastOwnSeq-st.AckedSeq)
	for _, c := range id.Conferences {
		st.Allocation[c] = k.model.Inventory(c)
	}
	return st, nil
}

// lastOwnSeq is the origin_seq of the last event the kiosk recorded.
func (k *Kiosk) lastOwnSeq() int64 {
	// The SQLite store answers from memory and never fails.
	seq, _ := k.store.OriginSeq(context.Background(), k.store.Node())
	return seq
}

func (k *Kiosk) loadSync(ctx context.Context) error {
	var seen int64
	if err := k.store.DB().QueryRowContext(ctx, `SELECT hub_seen FROM kiosk_sync WHERE singleton = 1`).Scan(&seen); err != nil {
		return fmt.Errorf("load sync progress: %w", err)
	}
	k.hubSeen.Store(seen)
	return nil
}

// SetAcked records that the hub acknowledged the kiosk's own events up to
// seq. It never moves back, and refuses a seq the kiosk never recorded.
func (k *Kiosk) SetAcked(ctx context.Context, seq int64) error {
	last := k.lastOwnSeq()
	if seq < 0 || seq > last {
		return fmt.Errorf("acknowledge %d: the kiosk recorded up to %d", seq, last)
	}
	_, err := k.store.DB().ExecContext(ctx, `UPDATE kiosk_sync SET acked_seq = MAX(acked_seq, ?) WHERE singleton = 1`, seq)
	return k.recorded("save acknowledged seq", err)
}

// SetHubSeen records the hub log position applied here: the causal context
// ("seen") of every event recorded afterwards. Call it after appending a
// page of hub events. It never moves back.
func (k *Kiosk) SetHubSeen(ctx context.Context, pos int64) error {
	if _, err := k.store.DB().ExecContext(ctx, `UPDATE kiosk_sync SET hub_seen = MAX(hub_seen, ?) WHERE singleton = 1`, pos); err != nil {
		return k.recorded("save hub position", err)
	}
	for {
		cur := k.hubSeen.Load()
		if pos <= cur || k.hubSeen.CompareAndSwap(cur, pos) {
			return nil
		}
	}
}

// SetOnline is set by the sync client when its connection comes and goes.
func (k *Kiosk) SetOnline(online bool) { k.online.Store(online) }

const envelopeColumns = `position, event_id, stream_id, stream_type, stream_version, type, schema, data,
	origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at`

// OwnEventsAfter returns up to limit of the kiosk's own events with
// origin_seq > seq, in origin_seq order: what to upload after the last
// acknowledgement.
func (k *Kiosk) OwnEventsAfter(ctx context.Context, seq int64, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := k.store.DB().QueryContext(ctx, `SELECT `+envelopeColumns+` FROM events
		WHERE origin = ? AND origin_seq > ? ORDER BY origin_seq LIMIT ?`, k.store.Node(), seq, limit)
	if err != nil {
		return nil, fmt.Errorf("read own events after %d: %w", seq, err)
	}
	defer rows.Close()
	var out []eventstore.Event
	for rows.Next() {
		var (
			e               eventstore.Event
			id, corr, cause []byte
			clock, recorded int64
		)
		if err := rows.Scan(&e.Position, &id, &e.StreamID, &e.StreamType, &e.StreamVersion, &e.Type, &e.Schema, &e.Data,
			&e.Origin, &e.OriginSeq, &e.Seen, &clock, &corr, &cause, &recorded); err != nil {
			return nil, fmt.Errorf("scan own event: %w", err)
		}
		if e.EventID, err = uuid.FromBytes(id); err != nil {
			return nil, fmt.Errorf("own event at %d: %w", e.Position, err)
		}
		if len(corr) == 16 {
			e.CorrelationID = uuid.UUID(corr)
		}
		if len(cause) == 16 {
			e.CausationID = uuid.UUID(cause)
		}
		e.HLC, e.RecordedAt = hlc.Timestamp(clock), time.UnixMilli(recorded).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// LogLine is one event of ExportLog's JSON lines.
type LogLine struct {
	Position      int64           `json:"position"`
	EventID       uuid.UUID       `json:"event_id"`
	StreamID      string          `json:"stream_id"`
	StreamType    string          `json:"stream_type"`
	StreamVersion int64           `json:"stream_version"`
	Type          string          `json:"type"`
	Schema        int             `json:"schema"`
	Data          json.RawMessage `json:"data"`
	Origin        string          `json:"origin"`
	OriginSeq     int64           `json:"origin_seq"`
	Seen          int64           `json:"seen"`
	HLC           int64           `json:"hlc"`
	CorrelationID uuid.UUID       `json:"correlation_id"`
	CausationID   uuid.UUID       `json:"causation_id"`
	RecordedAt    time.Time       `json:"recorded_at"`
}

// ExportLog writes the whole local log as JSON lines, for support.
func ExportLog(ctx context.Context, store eventstore.Store, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	var after int64
	n := 0
	for {
		page, err := store.ReadLog(ctx, after, 1000)
		if err != nil {
			return n, err
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			data := json.RawMessage(e.Data)
			if !json.Valid(data) {
				data, _ = json.Marshal(string(e.Data))
			}
			if err := enc.Encode(LogLine{Position: e.Position, EventID: e.EventID, StreamID: e.StreamID, StreamType: e.StreamType,
				StreamVersion: e.StreamVersion, Type: e.Type, Schema: e.Schema, Data: data, Origin: e.Origin,
				OriginSeq: e.OriginSeq, Seen: e.Seen, HLC: int64(e.HLC), CorrelationID: e.CorrelationID,
				CausationID: e.CausationID, RecordedAt: e.RecordedAt}); err != nil {
				return n, fmt.Errorf("write log line: %w", err)
			}
			n++
		}
		after = page[len(page)-1].Position
	}
	return n, bw.Flush()
}
