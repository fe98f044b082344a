package merge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/hlc"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// fact is a kiosk event whose effect the hub applies.
type fact struct {
	index      int // in the batch
	conference uuid.UUID
	// A sale: walkUp for WalkUpOrderPlaced (record it), otherwise the
	// kiosk's own OnSiteSeatsSold (settle it).
	sale   bool
	walkUp bool
	order  uuid.UUID
	seats  registrations.Seats
	// A check-in of attendee.
	checkIn  bool
	attendee string
}

func (m *Merger) decodeFact(e *eventstore.Event) (fact, bool, error) {
	switch e.Type {
	case registrations.WalkUpOrderPlaced{}.EventType(), registrations.OnSiteSeatsSold{}.EventType(), onsite.AttendeeCheckedIn{}.EventType():
	default:
		return fact{}, false, nil
	}
	ev, err := m.events.Decode(e.Type, e.Schema, e.Data)
	if err != nil {
		return fact{}, false, err
	}
	var f fact
	switch ev := ev.(type) {
	case registrations.WalkUpOrderPlaced:
		f = fact{conference: ev.ConferenceID, sale: true, walkUp: true, order: ev.OrderID, seats: ev.Seats}
	case registrations.OnSiteSeatsSold:
		f = fact{conference: ev.ConferenceID, sale: true, order: ev.OrderID, seats: ev.Seats}
	case onsite.AttendeeCheckedIn:
		f = fact{conference: ev.ConferenceID, checkIn: true, attendee: onsite.Seat{OrderID: ev.OrderID, Position: ev.Position}.String()}
	}
	if f.conference == uuid.Nil || (f.sale && f.order == uuid.Nil) {
		return fact{}, false, errors.New("conference or order id missing")
	}
	return f, true, nil
}

// applyEffects applies the facts of a merged batch to the hub's state.
func (m *Merger) applyEffects(ctx context.Context, kioskID string, batch []eventstore.Event, facts []fact) error {
	if len(facts) == 0 {
		return nil
	}
	m.effects.Lock()
	defer m.effects.Unlock()
	sales := map[uuid.UUID][]fact{}
	var checkIns []fact
	for _, f := range facts {
		if f.sale {
			sales[f.conference] = append(sales[f.conference], f)
		} else if f.checkIn {
			checkIns = append(checkIns, f)
		}
	}
	for _, conf := range sortedKeys(sales) {
		if err := m.settleSales(ctx, kioskID, conf, batch, sales[conf]); err != nil {
			return err
		}
	}
	return m.mergeCheckIns(ctx, batch, checkIns)
}

// settleSales applies a batch's on-site sales of one conference in one
// save of its SeatsAvailability.
func (m *Merger) settleSales(ctx context.Context, kioskID string, conf uuid.UUID, batch []eventstore.Event, sales []fact) error {
	id := registrations.AvailabilityStreamID(conf)
	meta := eventsourcing.Metadata{CorrelationID: sales[0].order, CausationID: batch[sales[0].index].EventID}
	missing := false
	err := m.availability.Update(ctx, id, meta, func(a *registrations.SeatsAvailability) error {
		missing = a.Version() == 0
		if missing {
			return nil
		}
		for _, s := range sales {
			var err error
			if _, sold := a.SoldTo(s.order); s.walkUp && !sold {
				err = a.RecordOnSiteSale(kioskID, s.order, s.seats)
			}
			if err == nil {
				err = a.SettleOnSiteSale(kioskID, s.order)
			}
			if registrations.ErrorCode(err) != "" {
				// The fact stays recorded; only its effect cannot be
				// applied (a sale of nothing). Tell the operator.
				m.log.Warn("merge: on-site sale has no effect", "kiosk", kioskID, "order", s.order, "err", err)
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply on-site sales to %s: %w", id, err)
	}
	if missing {
		m.log.Warn("merge: on-site sales for a conference without seat inventory", "conference", conf, "kiosk", kioskID, "sales", len(sales))
	}
	return nil
}

// checkInRow is one merged check-in of an attendee.
type checkInRow struct {
	id     uuid.UUID
	origin string
	seq    int64
	hlc    hlc.Timestamp
}

// before is the deterministic "earlier" of the duplicate check-in rule.
func (c checkInRow) before(o checkInRow) bool {
	if c.hlc != o.hlc {
		return c.hlc < o.hlc
	}
	if c.origin != o.origin {
		return c.origin < o.origin
	}
	return c.seq < o.seq
}

type attendeeKey struct {
	conference uuid.UUID
	attendee   string
}

// mergeCheckIns indexes the batch's check-ins and warns, once, about every
// check-in that has an earlier one from another node.
func (m *Merger) mergeCheckIns(ctx context.Context, batch []eventstore.Event, checkIns []fact) error {
	if len(checkIns) == 0 {
		return nil
	}
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index check-ins: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	touched := map[attendeeKey]bool{}
	for _, f := range checkIns {
		e := &batch[f.index]
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_merge_checkins
			(conference_id, attendee, event_id, origin, origin_seq, hlc) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			f.conference.String(), f.attendee, e.EventID[:], e.Origin, e.OriginSeq, int64(e.HLC)); err != nil {
			return fmt.Errorf("index check-in %s: %w", e.EventID, err)
		}
		touched[attendeeKey{f.conference, f.attendee}] = true
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index check-ins: %w", err)
	}
	type warning struct {
		attendee       string
		later, earlier checkInRow
	}
	byConference := map[uuid.UUID][]warning{}
	keys := make([]attendeeKey, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b attendeeKey) int { return strings.Compare(a.attendee, b.attendee) })
	for _, k := range keys {
		rows, err := m.checkInsOf(ctx, k)
		if err != nil {
			return err
		}
		for _, later := range rows {
			earliest, found := checkInRow{}, false
			for _, other := range rows {
				if other.origin != later.origin && other.before(later) && (!found || other.before(earliest)) {
					earliest, found = other, true
				}
			}
			if found {
				byConference[k.conference] = append(byConference[k.conference], warning{k.attendee, later, earliest})
			}
		}
	}
	for _, conf := range sortedKeys(byConference) {
		ws := byConference[conf]
		err := m.warnings.Update(ctx, registrations.CheckInWarningsStreamID(conf), eventsourcing.Metadata{CausationID: ws[0].later.id},
			func(w *registrations.CheckInWarnings) error {
				for _, x := range ws {
					if err := w.RecordDuplicate(conf, x.attendee,
						registrations.CheckInRef{EventID: x.later.id, KioskID: x.later.origin},
						registrations.CheckInRef{EventID: x.earlier.id, KioskID: x.earlier.origin}); err != nil {
						return err
					}
				}
				return nil
			})
		if err != nil {
			return fmt.Errorf("record duplicate check-ins of %s: %w", conf, err)
		}
	}
	return nil
}

func (m *Merger) checkInsOf(ctx context.Context, k attendeeKey) ([]checkInRow, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT event_id, origin, origin_seq, hlc FROM sync_merge_checkins
		WHERE conference_id = $1 AND attendee = $2`, k.conference.String(), k.attendee)
	if err != nil {
		return nil, fmt.Errorf("read check-ins of %s: %w", k.attendee, err)
	}
	defer rows.Close()
	var out []checkInRow
	for rows.Next() {
		var r checkInRow
		var id []byte
		var clock int64
		if err := rows.Scan(&id, &r.origin, &r.seq, &clock); err != nil {
			return nil, fmt.Errorf("read check-ins of %s: %w", k.attendee, err)
		}
		if r.id, err = uuid.FromBytes(id); err != nil {
			return nil, fmt.Errorf("check-in of %s with a bad id: %w", k.attendee, err)
		}
		r.hlc = hlc.Timestamp(clock)
		out = append(out, r)
	}
	return out, rows.Err()
}

func sortedKeys[V any](m map[uuid.UUID]V) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	return out
}
