package kiosktest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"

	"conference/badges"
)

// Printer is a stand-in print queue: it counts the badges it accepted
// (jobs "badges-1", "badges-2", ...) and refuses every job while broken.
type Printer struct {
	mu     sync.Mutex
	jobs   int
	broken bool
}

// Print implements badges.Printer.
func (p *Printer) Print(_ context.Context, _ string, pdf io.Reader) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken {
		return "", fmt.Errorf("%w: printer on fire", badges.ErrPrintFailed)
	}
	if b, _ := io.ReadAll(pdf); len(b) == 0 {
		return "", errors.New("empty job")
	}
	p.jobs++
	return fmt.Sprintf("badges-%d", p.jobs), nil
}

// Jobs is how many badges the printer accepted.
func (p *Printer) Jobs() int { p.mu.Lock(); defer p.mu.Unlock(); return p.jobs }

// Break makes the printer refuse every job until Fix.
func (p *Printer) Break() { p.mu.Lock(); p.broken = true; p.mu.Unlock() }

// Fix makes the printer accept jobs again.
func (p *Printer) Fix() { p.mu.Lock(); p.broken = false; p.mu.Unlock() }

// FillDisk makes the kiosk database refuse every append to the event log
// the way a full disk does ("database or disk is full") while reads keep
// working. The returned func frees the space.
func FillDisk(db *sql.DB) (free func() error, err error) {
	if _, err := db.Exec(`CREATE TRIGGER kiosktest_disk_full BEFORE INSERT ON events
		BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		return nil, fmt.Errorf("fill disk: %w", err)
	}
	return func() error {
		if _, err := db.Exec(`DROP TRIGGER kiosktest_disk_full`); err != nil {
			return fmt.Errorf("free disk: %w", err)
		}
		return nil
	}, nil
}
