// Command badges renders a PDF of badges for an attendee list in CSV.
//
//	go run ./badges/cmd/badges --csv FILE --out FILE.pdf [--layout NAME]
//
// The CSV has a header row with the columns name, company, role, email and
// seat_types (several separated by ';' or '|'), and optionally seat_id and
// access_code. Every flag falls back to an environment variable: BADGES_CSV,
// BADGES_OUT, BADGES_LAYOUT, BADGES_CONFERENCE, BADGES_CONFERENCE_ID,
// BADGES_ACCENT, BADGES_KEY, BADGES_CERT, BADGES_PRINT_QUEUE.
//
// The PDF is written to a temporary file next to --out and renamed into
// place only when complete, so a failed run leaves no partial file.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/badges"
	"conference/badges/token"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "badges:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

type config struct {
	csv, out, layout          string
	conference, confID        string
	accent, key, cert, lpDest string
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("badges", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var names []string
	for _, l := range badges.Layouts() {
		names = append(names, l.Name)
	}
	fs.StringVar(&c.csv, "csv", env("BADGES_CSV", ""), "attendee CSV file (BADGES_CSV)")
	fs.StringVar(&c.out, "out", env("BADGES_OUT", ""), "PDF file to write (BADGES_OUT)")
	fs.StringVar(&c.layout, "layout", env("BADGES_LAYOUT", badges.DefaultLayout), "layout: "+strings.Join(names, ", ")+" (BADGES_LAYOUT)")
	fs.StringVar(&c.conference, "conference", env("BADGES_CONFERENCE", ""), "conference name printed on the badges (BADGES_CONFERENCE)")
	fs.StringVar(&c.confID, "conference-id", env("BADGES_CONFERENCE_ID", ""), "conference id in the QR token; default derived from --conference (BADGES_CONFERENCE_ID)")
	fs.StringVar(&c.accent, "accent", env("BADGES_ACCENT", ""), "accent colour #RRGGBB (BADGES_ACCENT)")
	fs.StringVar(&c.key, "key", env("BADGES_KEY", ""), "Ed25519 signing key file, PEM PKCS#8 or hex/base64 seed; ephemeral if empty (BADGES_KEY)")
	fs.StringVar(&c.cert, "cert", env("BADGES_CERT", ""), "kiosk certificate issued by the hub, when --key is a kiosk key (BADGES_CERT)")
	fs.StringVar(&c.lpDest, "print", env("BADGES_PRINT_QUEUE", ""), "also send the PDF to this CUPS queue (BADGES_PRINT_QUEUE)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.csv == "" || c.out == "" {
		return c, errors.New("--csv and --out are required (or BADGES_CSV and BADGES_OUT)")
	}
	return c, nil
}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	style := badges.Style{Layout: c.layout, Accent: c.accent}
	if _, err := badges.LookupLayout(c.layout); err != nil {
		return err
	}
	f, err := os.Open(c.csv)
	if err != nil {
		return fmt.Errorf("read attendees: %w", err)
	}
	attendees, err := readAttendees(bufio.NewReader(f))
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", c.csv, err)
	}
	signer, err := loadSigner(c.key, c.cert, stderr)
	if err != nil {
		return err
	}
	list, err := sign(signer, c, attendees)
	if err != nil {
		return err
	}
	progress := newProgress(stderr, len(list))
	err = writeAtomically(c.out, func(w io.Writer) error {
		return badges.Render(ctx, w, style, list, progress)
	})
	var be *badges.BadgeError
	if errors.As(err, &be) {
		return fmt.Errorf("%s line %d (%q): %s: %w", c.csv, attendees[be.Index].line, be.Name, be.Field, be.Err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d badges to %s\n", len(list), c.out)
	if c.lpDest != "" {
		return printFile(ctx, c.lpDest, c.out, stdout)
	}
	return nil
}

// sign gives each attendee's badge its signed QR token.
func sign(s *token.Signer, c config, attendees []attendee) ([]badges.Badge, error) {
	confID := c.confID
	if confID == "" {
		confID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("conference:"+c.conference)).String()
	}
	ns := uuid.NewSHA1(uuid.NameSpaceURL, []byte("conference-seat:"+confID))
	now := time.Now()
	out := make([]badges.Badge, len(attendees))
	for i, a := range attendees {
		seat := a.seatID
		if seat == "" {
			key := strings.ToLower(a.email)
			if key == "" {
				key = fmt.Sprintf("line-%d:%s", a.line, a.badge.Name)
			}
			seat = uuid.NewSHA1(ns, []byte(key)).String()
		}
		t, err := s.Sign(token.Claims{Conference: confID, Seat: seat, IssuedAt: now})
		if err != nil {
			return nil, fmt.Errorf("line %d (%q): %w", a.line, a.badge.Name, err)
		}
		b := a.badge
		b.Conference = c.conference
		b.Token = t
		out[i] = b
	}
	return out, nil
}

// writeAtomically writes path through a temporary file in the same
// directory, renamed into place only after write succeeds.
func writeAtomically(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create output: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// newProgress reports progress on stderr for long batches, at most every
// 10% and at the end.
func newProgress(stderr io.Writer, total int) badges.Progress {
	if total < 100 {
		return nil
	}
	step := max(1, total/10)
	return func(done, total int) {
		if done%step == 0 || done == total {
			fmt.Fprintf(stderr, "badges: rendered %d/%d badges\n", done, total)
		}
	}
}

func printFile(ctx context.Context, queue, path string, stdout io.Writer) error {
	p, err := badges.NewCUPSPrinter(queue, "")
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("print: %w", err)
	}
	defer f.Close()
	job, err := p.Print(ctx, filepath.Base(path), f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent to %s as job %s\n", queue, job)
	return nil
}
