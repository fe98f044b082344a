// Package badgestest reads back what a badge or ticket PDF prints, for the
// tests of any package: its text, as pdftotext extracts it, and the codes
// a scanner reads from it, rasterised by pdftoppm and scanned by zbarimg.
// A missing tool skips the test, or fails it in CI (CI=true), which must
// install poppler-utils and zbar-tools.
package badgestest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// RequireTool returns the path of a program the test needs.
func RequireTool(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is not installed; CI must install it (.ci/run: poppler-utils, zbar-tools)", name)
	}
	tb.Skipf("skipping: %s is not installed (apt-get install poppler-utils zbar-tools); with CI=true this fails", name)
	return ""
}

// Text is what a person reads on the pages of pdf.
func Text(tb testing.TB, pdf []byte) string {
	tb.Helper()
	return run(tb, RequireTool(tb, "pdftotext"), "-enc", "UTF-8", write(tb, pdf), "-")
}

// QRCodes rasterises pdf at 150 dpi, as a phone screen or a cheap printer
// shows it, and returns the QR codes a scanner reads, page by page.
func QRCodes(tb testing.TB, pdf []byte) []string {
	tb.Helper()
	pdftoppm, zbarimg := RequireTool(tb, "pdftoppm"), RequireTool(tb, "zbarimg")
	dir := tb.TempDir()
	run(tb, pdftoppm, "-r", strconv.Itoa(150), "-gray", "-png", write(tb, pdf), filepath.Join(dir, "page"))
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) == 0 {
		tb.Fatal("pdftoppm made no pages")
	}
	var out []string
	for _, p := range pages {
		b, err := exec.Command(zbarimg, "-q", "--raw", "-Sdisable", "-Sqrcode.enable", p).Output()
		if err != nil && len(b) == 0 {
			continue // zbarimg exits non-zero on a page without a code
		}
		// A token may begin or end with a space (base45 has one), never a
		// newline: trim only the line ends.
		for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

func write(tb testing.TB, pdf []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}
