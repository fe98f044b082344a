package badges

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
)

// Printer sends a rendered badge PDF to a printer and returns the job id.
type Printer interface {
	Print(ctx context.Context, title string, pdf io.Reader) (jobID string, err error)
}

// Errors from printing; test with errors.Is.
var (
	// ErrNoPrintQueue means no print queue is configured: hand the PDF to
	// the browser instead (see PrinterFor).
	ErrNoPrintQueue = errors.New("no print queue configured")
	// ErrInvalidQueue means a queue name CUPS would not accept.
	ErrInvalidQueue = errors.New("invalid print queue name")
	// ErrPrintFailed means the print system refused or failed the job; the
	// error text carries what lp said.
	ErrPrintFailed = errors.New("print failed")
)

// CUPSPrinter prints through the CUPS lp command to a named queue.
type CUPSPrinter struct {
	queue   string
	command string
}

var _ Printer = (*CUPSPrinter)(nil)

// CUPS queue names are up to 127 printable characters other than space,
// tab, "/", "\\", "#", "'" and '"'.
var queueName = regexp.MustCompile(`^[^\s/\\#'"]{1,127}$`)

// NewCUPSPrinter returns a printer for the CUPS queue, as lp -d QUEUE
// names it. command is the lp program; empty means "lp" on the PATH.
func NewCUPSPrinter(queue, command string) (*CUPSPrinter, error) {
	if queue == "" {
		return nil, ErrNoPrintQueue
	}
	if !queueName.MatchString(queue) || strings.HasPrefix(queue, "-") {
		return nil, fmt.Errorf("%w: %q", ErrInvalidQueue, queue)
	}
	if command == "" {
		command = "lp"
	}
	return &CUPSPrinter{queue: queue, command: command}, nil
}

// PrinterFor returns the printer for a configured queue, or ok false when
// queue is empty, in which case the caller serves the PDF (ContentType) for
// the browser to print.
func PrinterFor(queue string) (p Printer, ok bool, err error) {
	if queue == "" {
		return nil, false, nil
	}
	cp, err := NewCUPSPrinter(queue, "")
	if err != nil {
		return nil, false, err
	}
	return cp, true, nil
}

// Queue returns the CUPS queue name.
func (p *CUPSPrinter) Queue() string { return p.queue }

// requestID matches lp's "request id is QUEUE-42 (1 file(s))".
var requestID = regexp.MustCompile(`request id is (\S+)`)

// Print submits pdf to the queue with lp and returns the CUPS job id, such
// as "PDF-42". Cancelling ctx kills lp; a job already queued stays queued.
func (p *CUPSPrinter) Print(ctx context.Context, title string, pdf io.Reader) (string, error) {
	title = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F {
			return ' '
		}
		return r
	}, title)
	if title == "" {
		title = "badge"
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, p.command, "-d", p.queue, "-t", title)
	cmd.Stdin = pdf
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("print %q to queue %q: %w", title, p.queue, ctx.Err())
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("print %q to queue %q: %w: %s", title, p.queue, ErrPrintFailed, msg)
	}
	m := requestID.FindStringSubmatch(stdout.String())
	if m == nil {
		return "", fmt.Errorf("print %q to queue %q: %w: no job id in lp output %q", title, p.queue, ErrPrintFailed, strings.TrimSpace(stdout.String()))
	}
	return m[1], nil
}
