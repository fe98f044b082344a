// Command catchupbench measures the sync rules without the transport and
// prints one markdown row per figure (median of several runs):
//
//   - a fresh kiosk catching up a conference of 25,000 attendees (about
//     150,000 events): scope.Pager pages read from the hub's SQLite file,
//     merge.ApplyDown into the kiosk's, against a raw SQLite insert of the
//     same rows into the same schema in the same run;
//   - the hub digesting that conference at a kiosk's cut (what each
//     kiosk's comparison costs the hub: it reads the whole log);
//   - the hub merging 10,000 offline events of a kiosk (merge.Accept in
//     batches of 1,000), the merge share of the upload figure.
//
// Without a store that commits several stream batches in one transaction
// (merge.BatchCommitter), ApplyDown and Accept commit once per stream run,
// which is what these figures expose. The hub's log is generated once per run with concurrent appends; its
// scope index is brought up to date before timing, as a running hub keeps
// it (scope.Pager.Run).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/migrations"
	"conference/shared/eventsourcing"
	"conference/shared/eventstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/shared/sqldb"
	"conference/sync/digest"
	"conference/sync/merge"
	"conference/sync/scope"
)

func main() {
	attendees := flag.Int("attendees", 25_000, "attendees of the conference to catch up")
	runs := flag.Int("runs", 3, "runs per figure (the median is printed)")
	upload := flag.Int("upload", 10_000, "offline kiosk events to merge")
	flag.Parse()
	if err := run(context.Background(), *attendees, *runs, *upload); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, attendees, runs, upload int) error {
	dir, err := os.MkdirTemp("", "catchupbench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	hub, err := sqlitestore.Open(ctx, filepath.Join(dir, "hub.db"), sqlitestore.Options{Node: merge.Hub, Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer hub.Close()
	conf, err := generate(ctx, hub, attendees)
	if err != nil {
		return fmt.Errorf("generate hub log: %w", err)
	}
	pager := scope.New(hub)
	if _, err := pager.Sync(ctx); err != nil {
		return err
	}
	var catchUp, raw []time.Duration
	var events int
	for i := range runs {
		d, n, err := catchUpOnce(ctx, pager, conf, filepath.Join(dir, fmt.Sprintf("kiosk-%d.db", i)))
		if err != nil {
			return fmt.Errorf("catch up: %w", err)
		}
		catchUp, events = append(catchUp, d), n
		r, err := rawInsert(ctx, hub, filepath.Join(dir, fmt.Sprintf("raw-%d.db", i)))
		if err != nil {
			return fmt.Errorf("raw insert: %w", err)
		}
		raw = append(raw, r)
		if d > 20*time.Second {
			break // far off target: one run tells, and the bench stays short
		}
	}
	c, r := median(catchUp), median(raw)
	ratio := r.Seconds() / c.Seconds()
	row(fmt.Sprintf("sync: fresh kiosk catching up %s attendees (%s events)", thousands(attendees), thousands(events)),
		"< 5 s and >= 0.3 of raw SQLite insert",
		fmt.Sprintf("%.2f s (%s events/s); raw insert %.2f s; ratio %.2f", c.Seconds(), thousands(int(float64(events)/c.Seconds())), r.Seconds(), ratio),
		c < 5*time.Second && ratio >= 0.3)

	// A kiosk's comparison makes the hub digest the conference at the
	// kiosk's cut, reading its whole log (sync/digest).
	head, err := hub.Head(ctx)
	if err != nil {
		return err
	}
	var digests []time.Duration
	for range runs {
		start := time.Now()
		if _, err := digest.ComputeCut(ctx, hub, conf, digest.KioskCut(head, "kiosk-bench", 0)); err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		digests = append(digests, time.Since(start))
	}
	dg := median(digests)
	// What the hub does: one cache answers every kiosk; after the first
	// cut, a kiosk near the head costs the events since the lowest cut.
	cache := digest.NewCache(hub)
	if _, err := cache.ComputeCut(ctx, conf, digest.KioskCut(head, "kiosk-bench", 0)); err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	var cachedRuns []time.Duration
	for i := range max(runs, 5) {
		start := time.Now()
		if _, err := cache.ComputeCut(ctx, conf, digest.KioskCut(head, fmt.Sprintf("kiosk-%d", i), 0)); err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		cachedRuns = append(cachedRuns, time.Since(start))
	}
	cg := median(cachedRuns)
	row(fmt.Sprintf("sync: hub digest of that conference at a kiosk's cut (%s events in the log)", thousands(int(head))),
		"< 300 ms from the hub's cache", fmt.Sprintf("%.0f ms (reading the whole log: %.2f s)", float64(cg.Microseconds())/1000, dg.Seconds()),
		cg < 300*time.Millisecond)

	var merges []time.Duration
	for i := range runs {
		d, err := mergeOnce(ctx, dir, i, upload)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		merges = append(merges, d)
		if d > 5*time.Second {
			break
		}
	}
	m := median(merges)
	rate := float64(upload) / m.Seconds()
	row(fmt.Sprintf("sync: hub merging %s offline kiosk events (merge.Accept, no transport)", thousands(upload)),
		">= 10,000 events/s", fmt.Sprintf("%s events/s", thousands(int(rate))), rate >= 10_000)
	return nil
}

func row(figure, target, measured string, ok bool) {
	verdict := "ok"
	if !ok {
		verdict = "MISSED"
	}
	fmt.Printf("| %s | %s | %s | %s |\n", figure, target, measured, verdict)
}

// catchUpOnce times a fresh kiosk store taking in the conference.
func catchUpOnce(ctx context.Context, pager *scope.Pager, conf uuid.UUID, path string) (time.Duration, int, error) {
	kiosk, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Node: "kiosk-bench"})
	if err != nil {
		return 0, 0, err
	}
	defer kiosk.Close()
	start := time.Now()
	var after int64
	n := 0
	for {
		evs, next, err := pager.Page(ctx, after, []uuid.UUID{conf}, scope.MaxLimit)
		if err != nil {
			return 0, 0, err
		}
		if err := merge.ApplyDown(ctx, kiosk, evs); err != nil {
			return 0, 0, err
		}
		n += len(evs)
		if next == after {
			break
		}
		after = next
	}
	d := time.Since(start)
	if h, _ := kiosk.Head(ctx); h != int64(n) {
		return 0, 0, fmt.Errorf("kiosk holds %d events, %d were sent", h, n)
	}
	return d, n, nil
}

// rawInsert times plain prepared multi-row INSERTs of the hub's rows into
// the same schema, in transactions of 512 rows, with the same pragmas
// (synchronous=FULL, as the kiosk).
func rawInsert(ctx context.Context, hub eventstore.Store, path string) (time.Duration, error) {
	db, err := sql.Open("sqlite", sqlitestore.DSN(path, "FULL"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, migrations.EventStore); err != nil {
		return 0, err
	}
	var all []eventstore.Event
	for after := int64(0); ; {
		evs, err := hub.ReadLog(ctx, after, 10_000)
		if err != nil {
			return 0, err
		}
		all = append(all, evs...)
		if len(evs) < 10_000 {
			break
		}
		after = evs[len(evs)-1].Position
	}
	const perStmt = 64
	cols := "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	prefix := `INSERT INTO events (position, event_id, stream_id, stream_type, stream_version, type, schema, data,
		origin, origin_seq, seen, hlc, correlation_id, causation_id, recorded_at) VALUES `
	many, err := db.PrepareContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(cols+",", perStmt), ","))
	if err != nil {
		return 0, err
	}
	one, err := db.PrepareContext(ctx, prefix+cols)
	if err != nil {
		return 0, err
	}
	argsOf := func(evs []eventstore.Event) []any {
		args := make([]any, 0, len(evs)*15)
		for _, e := range evs {
			args = append(args, e.Position, e.EventID[:], e.StreamID, e.StreamType, e.StreamVersion, e.Type, e.Schema, e.Data,
				e.Origin, e.OriginSeq, e.Seen, int64(e.HLC), e.CorrelationID[:], e.CausationID[:], e.RecordedAt.UnixMilli())
		}
		return args
	}
	start := time.Now()
	for len(all) > 0 {
		chunk := all[:min(512, len(all))]
		all = all[len(chunk):]
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		for len(chunk) > 0 {
			st, n := tx.StmtContext(ctx, one), 1
			if len(chunk) >= perStmt {
				st, n = tx.StmtContext(ctx, many), perStmt
			}
			if _, err := st.ExecContext(ctx, argsOf(chunk[:n])...); err != nil {
				tx.Rollback()
				return 0, err
			}
			chunk = chunk[n:]
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// mergeOnce times the hub merging a kiosk's offline check-ins.
func mergeOnce(ctx context.Context, dir string, i, n int) (time.Duration, error) {
	hub, err := sqlitestore.Open(ctx, filepath.Join(dir, fmt.Sprintf("merge-hub-%d.db", i)), sqlitestore.Options{Node: merge.Hub})
	if err != nil {
		return 0, err
	}
	defer hub.Close()
	kiosk, err := sqlitestore.Open(ctx, filepath.Join(dir, fmt.Sprintf("merge-kiosk-%d.db", i)), sqlitestore.Options{Node: "k1", Synchronous: "NORMAL"})
	if err != nil {
		return 0, err
	}
	defer kiosk.Close()
	conf := ids.New()
	reg := merge.Registry()
	err = concurrently(n, func(j int) error {
		seat := onsite.Seat{OrderID: ids.New(), Position: 0}
		name, schema, data, err := reg.Encode(onsite.AttendeeCheckedIn{ConferenceID: conf, OrderID: seat.OrderID, KioskID: "k1", Staff: "Ana", At: time.Now()})
		if err != nil {
			return err
		}
		_, err = kiosk.Append(ctx, eventstore.Stream{ID: onsite.AttendanceStreamID(seat), Type: "onsite.Attendance"}, eventstore.NoStream,
			[]eventstore.Event{{EventID: ids.New(), Type: name, Schema: schema, Data: data}})
		return err
	})
	if err != nil {
		return 0, err
	}
	var evs []eventstore.Event
	for after := int64(0); ; {
		page, err := kiosk.ReadLog(ctx, after, 10_000)
		if err != nil {
			return 0, err
		}
		evs = append(evs, page...)
		if len(page) < 10_000 {
			break
		}
		after = page[len(page)-1].Position
	}
	m := merge.New(hub)
	if _, err := m.Acked(ctx, "k1"); err != nil { // schema, outside the timing
		return 0, err
	}
	start := time.Now()
	for len(evs) > 0 {
		b := min(1000, len(evs))
		if _, err := m.Accept(ctx, "k1", evs[:b]); err != nil {
			return 0, err
		}
		evs = evs[b:]
	}
	return time.Since(start), nil
}

// generate records a conference with attendees online orders, each paid,
// confirmed and named: about six events per attendee, appended by 64
// concurrent writers as a busy hub would.
func generate(ctx context.Context, hub eventstore.Store, attendees int) (uuid.UUID, error) {
	conf, seatType := ids.New(), ids.New()
	reg := merge.Registry()
	avail := registrations.AvailabilityStreamID(conf)
	enc := func(evs ...eventsourcing.Event) ([]eventstore.Event, error) {
		out := make([]eventstore.Event, 0, len(evs))
		for _, e := range evs {
			name, schema, data, err := reg.Encode(e)
			if err != nil {
				return nil, err
			}
			out = append(out, eventstore.Event{EventID: ids.New(), Type: name, Schema: schema, Data: data})
		}
		return out, nil
	}
	first, err := enc(registrations.SeatTypeAdded{ConferenceID: conf, SeatType: seatType, Quota: attendees})
	if err != nil {
		return conf, err
	}
	if _, err := hub.Append(ctx, eventstore.Stream{ID: avail, Type: "registrations.SeatsAvailability"}, eventstore.NoStream, first); err != nil {
		return conf, err
	}
	now := time.Now().UTC()
	price := registrations.NewMoney(10000, "EUR")
	err = concurrently(attendees, func(i int) error {
		order := ids.New()
		seats := registrations.Seats{{SeatType: seatType, Quantity: 1}}
		quote, err := registrations.Price(seats, registrations.PricingInput{Prices: []registrations.SeatPrice{{SeatType: seatType, Price: price}}}, now)
		if err != nil {
			return err
		}
		steps := []struct {
			stream, typ string
			events      []eventsourcing.Event
		}{
			{registrations.OrderStreamID(order), "registrations.Order", []eventsourcing.Event{registrations.OrderPlaced{OrderID: order, ConferenceID: conf, Seats: seats,
				Quote: quote, AccessCode: ids.NewAccessCode(), ReservationWindow: 15 * time.Minute, ReservationExpiresAt: now.Add(15 * time.Minute), PlacedAt: now}}},
			{avail, "registrations.SeatsAvailability", []eventsourcing.Event{registrations.SeatsReserved{ConferenceID: conf, ReservationID: order, Requested: seats, Reserved: seats}}},
			{avail, "registrations.SeatsAvailability", []eventsourcing.Event{registrations.SeatReservationCommitted{ConferenceID: conf, ReservationID: order, Seats: seats}}},
			{registrations.OrderStreamID(order), "registrations.Order", []eventsourcing.Event{registrations.OrderConfirmed{OrderID: order, ConferenceID: conf, Seats: seats, Total: quote.Total, ConfirmedAt: now}}},
			{registrations.AssignmentsStreamID(order), "registrations.SeatAssignments", []eventsourcing.Event{
				registrations.SeatAssignmentsCreated{OrderID: order, ConferenceID: conf, Positions: []registrations.SeatPosition{{Position: 0, SeatType: seatType}}},
				registrations.SeatAssigned{OrderID: order, Position: 0, SeatType: seatType, Attendee: registrations.Attendee{
					Name: fmt.Sprintf("Attendee Nummer %d", i), Email: fmt.Sprintf("attendee%d@example.org", i), Company: "Example GmbH"}}}},
		}
		for _, s := range steps {
			evs, err := enc(s.events...)
			if err != nil {
				return err
			}
			if _, err := hub.Append(ctx, eventstore.Stream{ID: s.stream, Type: s.typ}, eventstore.AnyVersion, evs); err != nil {
				return err
			}
		}
		return nil
	})
	return conf, err
}

// concurrently runs do(0..n-1) on 64 goroutines.
func concurrently(n int, do func(int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	next := make(chan int)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := do(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
