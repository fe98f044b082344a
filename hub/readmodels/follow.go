package readmodels

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"conference/shared/sqldb"
)

// Replicas of a hub on PostgreSQL share the read-model tables, and one of
// them, the holder of the read models' lease, writes them (Run). The others
// answer queries from the same tables; what they keep in memory (the seat
// index, how far the models are) they refresh from the tables as the
// writer's checkpoint moves (Follow). A replica that takes the lease over
// reloads everything from the tables first, so it goes on from where the
// previous writer stopped.
//
// On SQLite the file admits one process, which always leads.

// leads reports whether this process applies the log to the models (and
// may therefore catch up in WaitFor).
func (m *Models) leads() bool { return m.single || m.leading.Load() }

// lead marks the start of Run on a replica: it reloads the models'
// resident state from the tables another replica may have moved on.
func (m *Models) lead(ctx context.Context) error {
	if m.single {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.reload(ctx); err != nil {
		return err
	}
	m.leading.Store(true)
	return nil
}

// topicApplied carries the writer's checkpoint to the followers after
// every write of the models, so a read on another replica that waits for a
// position wakes as soon as the tables hold it.
const topicApplied = "readmodels_applied"

// Follow keeps a replica that does not run the projections current: when
// the writer says it moved (and every second, in case a notification was
// lost) it reads the writer's checkpoint and, when it moved, reloads the
// seat index from the table and publishes the position for WaitFor. It
// runs on every replica until ctx ends; while the replica itself leads,
// Run keeps both current and Follow idles.
func (m *Models) Follow(ctx context.Context) error {
	if m.single {
		<-ctx.Done()
		return nil
	}
	var moved <-chan string
	if m.notifier != nil {
		ch, stop := m.notifier.Subscribe(topicApplied)
		defer stop()
		moved = ch
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if !m.leads() {
			if err := m.refresh(ctx); err != nil && ctx.Err() == nil {
				m.log.Warn("read models: following the writer's tables", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case payload := <-moved:
			if pos, err := strconv.ParseInt(payload, 10, 64); err == nil && pos <= m.applied.Load() {
				continue
			}
		}
	}
}

// announce tells the followers on other replicas that the tables are at
// pos. A lost announcement costs them a second (Follow's tick), so a
// failure is only logged.
func (m *Models) announce(ctx context.Context, pos int64) {
	if m.single || m.notifier == nil {
		return
	}
	if err := m.notifier.Notify(ctx, topicApplied, strconv.FormatInt(pos, 10)); err != nil && ctx.Err() == nil {
		m.log.Warn("read models: tell the other replicas", "err", err, "position", pos)
	}
}

// refresh reads the writer's checkpoint and, if it moved, the seat index.
func (m *Models) refresh(ctx context.Context) error {
	pos, err := sqldb.Checkpoint(ctx, m.store.DB(), checkpointEvents)
	if err != nil {
		return err
	}
	if pos == m.applied.Load() && m.seats.Load() != nil {
		return nil
	}
	idx, err := m.seatIndexFromTable(ctx)
	if err != nil {
		return err
	}
	m.seats.Store(idx)
	if pos > m.applied.Load() {
		m.applied.Store(pos)
		m.signalMoved()
	}
	return nil
}

// seatIndexFromTable builds the seat index from rm_seat_types, in the
// order the writer keeps it.
func (m *Models) seatIndexFromTable(ctx context.Context) (*seatIndex, error) {
	rows, err := m.store.DB().QueryContext(ctx, `SELECT seat_type_id, conference_id, name, description, price_amount, price_currency,
		sellable_at_kiosks, sell_past_allocation, kiosk_allocation_size, quota, reserved, sold, allocated
		FROM rm_seat_types ORDER BY conference_id, info_seq = 0, info_seq, seat_type_id`)
	if err != nil {
		return nil, fmt.Errorf("read seat types: %w", err)
	}
	defer rows.Close()
	idx := &seatIndex{byConference: map[uuid.UUID][]SeatTypeView{}}
	for rows.Next() {
		var v SeatTypeView
		if err := rows.Scan(idCol{&v.SeatTypeID}, idCol{&v.ConferenceID}, &v.Name, &v.Description, &v.Price.Amount, &v.Price.Currency,
			&v.OnSite.SellableAtKiosks, &v.OnSite.SellPastAllocation, &v.OnSite.KioskAllocationSize,
			&v.Quota, &v.Reserved, &v.Sold, &v.Allocated); err != nil {
			return nil, fmt.Errorf("read seat types: %w", err)
		}
		v.Remaining = max(0, v.Quota-v.Reserved-v.Sold-v.Allocated)
		idx.byConference[v.ConferenceID] = append(idx.byConference[v.ConferenceID], v)
	}
	return idx, rows.Err()
}

// waitFollowing is WaitFor on a replica that does not lead: the writer
// elsewhere moves the tables, Follow notices and signals. It reads the
// checkpoint itself now and then too, for a replica without Follow
// running.
func (m *Models) waitFollowing(ctx context.Context, position int64) error {
	if m.applied.Load() >= position {
		return nil
	}
	if err := m.refresh(ctx); err != nil {
		return fmt.Errorf("wait for position %d: %w", position, err)
	}
	poll := time.NewTicker(250 * time.Millisecond)
	defer poll.Stop()
	for {
		moved := m.movedChan()
		if m.applied.Load() >= position {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for position %d: %w", position, ctx.Err())
		case <-moved:
		case <-poll.C:
			if err := m.refresh(ctx); err != nil {
				return fmt.Errorf("wait for position %d: %w", position, err)
			}
		}
	}
}

// movedChan is closed the next time the published position moves.
func (m *Models) movedChan() <-chan struct{} {
	m.movedMu.Lock()
	defer m.movedMu.Unlock()
	if m.moved == nil {
		m.moved = make(chan struct{})
	}
	return m.moved
}

// signalMoved wakes the waiters of movedChan.
func (m *Models) signalMoved() {
	m.movedMu.Lock()
	defer m.movedMu.Unlock()
	if m.moved != nil {
		close(m.moved)
		m.moved = nil
	}
}
