package kiosk

import (
	"context"
	"fmt"

	"conference/shared/ids"
)

// probeStream names the row a write probe inserts and deletes again; no
// aggregate has this stream id, and the row never outlives its transaction.
const probeStream = "kiosk-write-probe"

// probeWrite makes the kind of write an action makes, appending a row to
// the event log (its triggers, indexes and the commit's WAL frames), and
// takes it back in the same transaction: a committed transaction that
// changes nothing. It fails the way an append fails on a full disk or a
// read-only file, yet records no domain fact, so the log stays the truth.
func (k *Kiosk) probeWrite(ctx context.Context) error {
	tx, err := k.store.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write probe: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	id := ids.New()
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (position, event_id, stream_id, stream_type, stream_version,
		type, schema, data, origin, origin_seq, seen, hlc, recorded_at)
		VALUES ((SELECT COALESCE(MAX(position), 0) + 1 FROM events), ?, ?, 'kiosk.Probe', 1, 'kiosk.WriteProbe', 1, '{}', ?, 0, 0, 0, ?)`,
		id[:], probeStream, k.store.Node(), k.now().UnixMilli()); err != nil {
		return fmt.Errorf("write probe: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE event_id = ?`, id[:]); err != nil {
		return fmt.Errorf("take back write probe: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit write probe: %w", err)
	}
	return nil
}

// Recheck asks the store, after a write failed, whether it can write again
// (space freed, file made writable), so that a kiosk that could not record
// comes back without a restart. It returns nil once the kiosk can record;
// otherwise an error matching ErrCannotRecord. While writes work it does
// nothing. Status calls it, so the status bar's refresh is what switches
// the actions back on; while one probe runs, other calls start none.
func (k *Kiosk) Recheck(ctx context.Context) error {
	if k.lastError.Load() == nil {
		return nil
	}
	if !k.probeMu.TryLock() {
		return fmt.Errorf("recheck: %w: a probe is under way", ErrCannotRecord)
	}
	defer k.probeMu.Unlock()
	failed := k.lastError.Load()
	if failed == nil {
		return nil
	}
	if err := k.probeWrite(ctx); err != nil {
		// Debug: the failure that switched recording off was logged as an
		// error already, and every refresh of every screen probes.
		k.log.Debug("kiosk still cannot record", "err", err)
		return fmt.Errorf("recheck: %w: %w", ErrCannotRecord, err)
	}
	// Only the failure the probe answered is cleared: an action that failed
	// meanwhile keeps recording switched off until the next probe.
	if !k.lastError.CompareAndSwap(failed, nil) {
		return fmt.Errorf("recheck: %w: a write failed during the probe", ErrCannotRecord)
	}
	k.log.Info("kiosk can record again: a write probe succeeded", "after", *failed)
	return nil
}
