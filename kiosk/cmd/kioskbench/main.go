// Command kioskbench measures the kiosk's figures and prints one markdown
// row each: | figure | target | measured | ok/MISSED |
//
//	go run ./kiosk/cmd/kioskbench [-attendees 50000] [-runs 5]
//
// It builds a kiosk database holding a conference of -attendees attendees
// (hub events appended as sync would), then times search, scan + check-in +
// badge PDF, and walk-up sales on it, and measures the resident memory of a
// separate process holding the loaded kiosk.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/badges/token"
	"conference/hub/conferences"
	"conference/kiosk"
	"conference/kiosk/kiosktest"
	"conference/kiosk/readmodel"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

var (
	conf      = uuid.MustParse("00000000-0000-0000-0000-00000000be01")
	fullPass  = uuid.MustParse("00000000-0000-0000-0000-00000000be02")
	workshop  = uuid.MustParse("00000000-0000-0000-0000-00000000be03")
	firstName = []string{"Ana", "Ângela", "Bruno", "Chloé", "Dmitri", "Émile", "François", "Gökhan", "Håkon", "Inês", "José",
		"Jürgen", "Kateřina", "Łukasz", "Maria", "Márta", "Nikolaos", "Øystein", "Paweł", "Raúl", "Søren", "Tomás", "Zoë",
		"Ζωή", "Дмитрий", "Anna", "Ben", "Carla", "David", "Eva", "Fatima", "George", "Hannah", "Ivan", "Julia", "Kenji",
		"Laura", "Mohammed", "Nora", "Oliver", "Priya", "Quentin", "Rosa", "Sven", "Tara", "Uma", "Victor", "Wen", "Yusuf"}
	lastName = []string{"Silva", "Santos", "Müller", "Schmidt", "Dubois", "Lefèvre", "García", "Fernández", "Rossi",
		"Bianchi", "Nowak", "Kowalski", "Novák", "Svoboda", "Jensen", "Nielsen", "Hansen", "Johansson", "Andersson",
		"Papadopoulos", "Παπαδόπουλος", "Иванов", "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Tanaka", "Suzuki",
		"Kim", "Lee", "Chen", "Wang", "Nguyễn", "Trần", "Öztürk", "Yılmaz", "Kovačević", "Horváth", "Nagy", "O'Brien",
		"Murphy", "Walsh", "Costa", "Pereira", "Oliveira", "Martins", "Sousa", "Ferreira", "Gonçalves"}
)

const kioskID = "bench-kiosk"

func main() {
	attendees := flag.Int("attendees", 50_000, "attendees in the conference")
	runs := flag.Int("runs", 5, "runs per figure (the median is reported)")
	rssDB := flag.String("rss-child", "", "internal: open this kiosk database and print its RSS")
	flag.Parse()
	if *rssDB != "" {
		if err := rssChild(*rssDB); err != nil {
			fmt.Fprintln(os.Stderr, "rss child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*attendees, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "kioskbench:", err)
		os.Exit(1)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func run(n, runs int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kioskbench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "kiosk.db")
	start := time.Now()
	keys, people, err := build(ctx, db, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "built a kiosk with %d attendees in %s\n", n, time.Since(start).Round(time.Millisecond))

	openStart := time.Now()
	k, err := kiosk.Open(ctx, kiosk.Config{Path: db, Logger: quietLogger()})
	if err != nil {
		return err
	}
	defer k.Close()
	fmt.Fprintf(os.Stderr, "kiosk opened (log replayed) in %s\n", time.Since(openStart).Round(time.Millisecond))
	if got := k.Model().Stats().Attendees; got != n {
		return fmt.Errorf("kiosk shows %d attendees, want %d", got, n)
	}

	fmt.Println("| figure | target | measured | verdict |")
	fmt.Println("|---|---|---|---|")
	search := medianOf(runs, func() (time.Duration, error) { return searchP99(k, people) })
	row(fmt.Sprintf("kiosk: search among %d attendees, p99", n), "< 5 ms", search, 5*time.Millisecond)

	signer, err := token.NewHubSigner(keys.Hub)
	if err != nil {
		return err
	}
	next := 0
	admit := medianOf(runs, func() (time.Duration, error) {
		return p99(200, func() error {
			s := people[next].Seat
			next++
			tok, err := signer.Sign(token.Claims{Conference: conf.String(), Seat: s.TokenID(), IssuedAt: time.Now()})
			if err != nil {
				return err
			}
			res, err := k.VerifyScan(ctx, tok)
			if err != nil || !res.OK {
				return fmt.Errorf("scan: %v %+v", err, res.Reason)
			}
			_, b, err := k.Admit(ctx, res.Attendee.Seat, "bench")
			if err != nil || b == nil || len(b.PDF) == 0 {
				return fmt.Errorf("admit: %v", err)
			}
			return nil
		})
	})
	row("kiosk: scan, check in, badge PDF ready (VerifyScan + Admit), p99", "< 100 ms", admit, 100*time.Millisecond)

	sale := medianOf(runs, func() (time.Duration, error) {
		return p99(200, func() error {
			_, err := k.WalkUpSale(ctx, kiosk.WalkUpRequest{Seats: registrations.Seats{{SeatType: workshop, Quantity: 1}},
				Name: "Walk Up", Email: "walk@example.org", Payment: registrations.PaymentCash, Staff: "bench"})
			return err
		})
	})
	row("kiosk: walk-up sale recorded (sale, seat named, checked in), p99", "< 20 ms", sale, 20*time.Millisecond)
	if err := k.Close(); err != nil {
		return err
	}

	var rss []float64
	for i := 0; i < 3; i++ {
		mb, err := measureRSS(db)
		if err != nil {
			return err
		}
		rss = append(rss, mb)
	}
	slices.Sort(rss)
	verdict := "ok"
	if rss[1] >= 150 {
		verdict = "MISSED"
	}
	fmt.Printf("| kiosk: memory with %d attendees loaded (RSS after start-up) | < 150 MB | %.0f MB | %s |\n", n, rss[1], verdict)
	return nil
}

func row(figure, target string, d time.Duration, limit time.Duration) {
	verdict := "ok"
	if d >= limit {
		verdict = "MISSED"
	}
	fmt.Printf("| %s | %s | %.2f ms | %s |\n", figure, target, float64(d)/float64(time.Millisecond), verdict)
}

func medianOf(runs int, f func() (time.Duration, error)) time.Duration {
	var ds []time.Duration
	for i := 0; i < runs; i++ {
		d, err := f()
		if err != nil {
			fmt.Fprintln(os.Stderr, "kioskbench:", err)
			os.Exit(1)
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func p99(n int, op func() error) (time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := op(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)*99/100], nil
}

// searchP99 types what door staff type: 2-6 letters of a first or last
// name (either script, often without accents), sometimes both names, an
// email, or an access code.
func searchP99(k *kiosk.Kiosk, people []person) (time.Duration, error) {
	ctx := context.Background()
	return p99(2000, func() error {
		p := people[rand.IntN(len(people))]
		var q string
		switch rand.IntN(5) {
		case 0:
			q = p.email
		case 1:
			q = p.code
		case 2:
			q = prefix(p.first, 3) + " " + prefix(p.last, 2)
		default:
			w := p.first
			if rand.IntN(2) == 0 {
				w = p.last
			}
			q = readmodel.Fold(prefix(w, 2+rand.IntN(5)))
		}
		res, err := k.Find(ctx, q)
		if err != nil {
			return err
		}
		if len(res.Attendees) == 0 {
			return fmt.Errorf("search %q found nobody", q)
		}
		return nil
	})
}

func prefix(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

type person struct {
	Seat        onsite.Seat
	first, last string
	email, code string
}

// build pairs a kiosk and appends a conference of n attendees (two per
// order) as hub events. NORMAL synchronous keeps the set-up short; the
// timed runs reopen the file with the default FULL.
func build(ctx context.Context, db string, n int) (kiosktest.Keys, []person, error) {
	keys, err := kiosktest.NewKeys(kioskID, time.Now())
	if err != nil {
		return keys, nil, err
	}
	if err := kiosktest.Pair(ctx, db, kioskID, conf, keys); err != nil {
		return keys, nil, err
	}
	k, err := kiosk.Open(ctx, kiosk.Config{Path: db, Synchronous: "NORMAL", Logger: quietLogger()})
	if err != nil {
		return keys, nil, err
	}
	defer k.Close()
	hub := kiosktest.NewHub(k.Store(), 0)
	if err := hub.Conference(ctx, conf, "Bench Conf 2026"); err != nil {
		return keys, nil, err
	}
	if err := hub.SeatType(ctx, conf, fullPass, "Full pass", 30000, n+10, conferences.OnSitePolicy{}); err != nil {
		return keys, nil, err
	}
	if err := hub.SeatType(ctx, conf, workshop, "Workshop", 4000, 10_000, conferences.OnSitePolicy{SellableAtKiosks: true, KioskAllocationSize: 5000}); err != nil {
		return keys, nil, err
	}
	if err := hub.Grant(ctx, conf, kioskID, workshop, 5000); err != nil {
		return keys, nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	people := make([]person, 0, n)
	for len(people) < n {
		var group []registrations.Attendee
		var ps []person
		for j := 0; j < 2 && len(people)+len(ps) < n; j++ {
			first, last := firstName[rng.IntN(len(firstName))], lastName[rng.IntN(len(lastName))]
			email := "p" + strconv.Itoa(len(people)+len(ps)) + "@example.org"
			group = append(group, registrations.Attendee{Name: first + " " + last, Email: email})
			ps = append(ps, person{first: first, last: last, email: email})
		}
		o, err := hub.ConfirmedOrder(ctx, conf, fullPass, group[0], group)
		if err != nil {
			return keys, nil, err
		}
		for j := range ps {
			ps[j].Seat = onsite.Seat{OrderID: o.ID, Position: j}
			ps[j].code = strings.ToLower(o.AccessCode)
		}
		people = append(people, ps...)
	}
	rng.Shuffle(len(people), func(i, j int) { people[i], people[j] = people[j], people[i] })
	return keys, people, k.Refresh(ctx)
}

// measureRSS starts a process that opens the kiosk and reports its RSS.
func measureRSS(db string) (float64, error) {
	out, err := exec.Command(os.Args[0], "-rss-child", db).Output()
	if err != nil {
		return 0, fmt.Errorf("rss child: %w", err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

func rssChild(db string) error {
	ctx := context.Background()
	k, err := kiosk.Open(ctx, kiosk.Config{Path: db, Logger: quietLogger()})
	if err != nil {
		return err
	}
	defer k.Close()
	if _, err := k.Find(ctx, "ana"); err != nil {
		return err
	}
	runtime.GC()
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return err
			}
			fmt.Println(kb / 1024)
			return nil
		}
	}
	return fmt.Errorf("no VmRSS in /proc/self/status")
}
