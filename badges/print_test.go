package badges_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"conference/badges"
)

func TestCUPSPrinterRefusesQueueNamesLpWouldMisread(t *testing.T) {
	for _, q := range []string{"two words", "a/b", "-d", "has#hash", strings.Repeat("q", 128)} {
		if _, err := badges.NewCUPSPrinter(q, ""); !errors.Is(err, badges.ErrInvalidQueue) {
			t.Errorf("NewCUPSPrinter(%q) = %v, want ErrInvalidQueue", q, err)
		}
	}
	if _, err := badges.NewCUPSPrinter("", ""); !errors.Is(err, badges.ErrNoPrintQueue) {
		t.Errorf("empty queue: %v, want ErrNoPrintQueue", err)
	}
}

func TestWithoutAQueueThePDFGoesToTheBrowser(t *testing.T) {
	p, ok, err := badges.PrinterFor("")
	if p != nil || ok || err != nil {
		t.Errorf("PrinterFor(\"\") = %v, %v, %v; want nil, false, nil", p, ok, err)
	}
	p, ok, err = badges.PrinterFor("Front_Desk")
	if p == nil || !ok || err != nil {
		t.Errorf("PrinterFor(queue) = %v, %v, %v; want a printer", p, ok, err)
	}
}

func TestPrintReportsWhatLpSaidWhenItFails(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// A stand-in for lp that fails as lp does for an unknown queue.
	fake := filepath.Join(t.TempDir(), "lp")
	script := "#!" + sh + "\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p, _ := badges.NewCUPSPrinter("Nowhere", fake)
	_, err = p.Print(context.Background(), "badge", strings.NewReader("%PDF-1.3"))
	if !errors.Is(err, badges.ErrPrintFailed) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Print = %v, want ErrPrintFailed carrying lp's message", err)
	}
}

// TestPrintToARealCUPSQueue prints a badge to the cups-pdf queue that
// badges/testdata/setup-cups.sh creates, then scans the QR code on the page
// CUPS produced. BADGES_CUPS_QUEUE names another queue.
func TestPrintToARealCUPSQueue(t *testing.T) {
	requireTool(t, "lp")
	requireTool(t, "lpstat")
	queue := os.Getenv("BADGES_CUPS_QUEUE")
	if queue == "" {
		queue = "PDF"
	}
	if err := exec.Command("lpstat", "-p", queue).Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CUPS queue %q is not available: run badges/testdata/setup-cups.sh", queue)
		}
		t.Skipf("skipping: CUPS queue %q is not available (run badges/testdata/setup-cups.sh); with CI=true this fails", queue)
	}
	signer, verifier := keys(t)
	list := signedList(t, 1, signer)
	var pdf bytes.Buffer
	if err := badges.RenderOne(context.Background(), &pdf, badges.Style{}, list[0]); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	p, err := badges.NewCUPSPrinter(queue, "")
	if err != nil {
		t.Fatal(err)
	}
	title := "badges-test-" + started.Format("150405.000")
	job, err := p.Print(context.Background(), title, &pdf)
	if err != nil {
		t.Fatalf("Print: %v", err)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(queue) + `-\d+$`).MatchString(job) {
		t.Fatalf("job id %q, want %s-N", job, queue)
	}
	out := waitForCUPSPDF(t, queue, job, started)
	if out == "" {
		t.Logf("job %s completed; queue %q does not write files where cups-pdf does, so the printout is not checked", job, queue)
		return
	}
	scanned := scanPDF(t, out, 150, "qrcode")
	if len(scanned) != 1 || scanned[0] != list[0].Token {
		t.Fatalf("QR on the printout reads %q, want the badge's token", scanned)
	}
	if _, err := verifier.Verify(scanned[0]); err != nil {
		t.Errorf("printed token does not verify: %v", err)
	}
}

// waitForCUPSPDF waits for the job to complete and returns the file cups-pdf
// wrote for it, or "" if the queue is not a cups-pdf queue.
func waitForCUPSPDF(t *testing.T, queue, job string, since time.Time) string {
	t.Helper()
	jobNum := job[strings.LastIndex(job, "-")+1:]
	home, _ := os.UserHomeDir()
	dirs := []string{filepath.Join(home, "PDF"), "/var/spool/cups-pdf/ANONYMOUS"}
	if u := os.Getenv("USER"); u != "" {
		dirs = append(dirs, filepath.Join("/var/spool/cups-pdf", u))
	}
	deadline := time.Now().Add(60 * time.Second)
	completed := false
	for time.Now().Before(deadline) {
		if !completed {
			out, _ := exec.Command("lpstat", "-W", "completed", "-o", queue).Output()
			completed = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(job) + `\s`).Match(out)
		}
		for _, d := range dirs {
			matches, _ := filepath.Glob(filepath.Join(d, "*job_"+jobNum+".pdf"))
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil && fi.ModTime().After(since.Add(-time.Second)) && fi.Size() > 0 {
					time.Sleep(200 * time.Millisecond) // let cups-pdf finish writing
					return m
				}
			}
		}
		if completed {
			cupsPDF := exec.Command("lpstat", "-v", queue)
			if out, _ := cupsPDF.Output(); !bytes.Contains(out, []byte("cups-pdf:")) {
				return ""
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("job %s did not produce a PDF in %v within 60 s", job, dirs)
	return ""
}
