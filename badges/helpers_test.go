package badges_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"conference/badges"
	"conference/badges/internal/sample"
	"conference/badges/token"
)

// requireTool returns the path of an external program a test needs. When it
// is missing the test is skipped with the reason, except on CI (CI=true),
// where a missing tool is a failure: CI must install it.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; CI must run badges/testdata/setup-cups.sh (apt-get install poppler-utils zbar-tools libfribidi-bin cups printer-driver-cups-pdf)", name)
	}
	t.Skipf("skipping: %s is not installed (apt-get install poppler-utils zbar-tools libfribidi-bin cups printer-driver-cups-pdf); with CI=true this fails", name)
	return ""
}

// run runs a program and returns its standard output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return runInput(t, "", name, args...)
}

// runInput runs a program with input on its standard input and returns
// its standard output.
func runInput(t *testing.T, input, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(input)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func render(t *testing.T, style badges.Style, list []badges.Badge) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := badges.Render(context.Background(), &buf, style, list, nil); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return buf.Bytes()
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pdfText is what a person reads on the pages, as pdftotext extracts it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	requireTool(t, "pdftotext")
	return run(t, "pdftotext", "-enc", "UTF-8", writeTemp(t, "badges.pdf", pdf), "-")
}

// word is one word pdftotext finds on the first page, with its bounding
// box in millimetres from the page's top-left corner.
type word struct {
	text                   string
	xMin, yMin, xMax, yMax float64
}

// pdfWords returns the words of the first page with where they print
// (pdftotext -bbox).
func pdfWords(t *testing.T, pdf []byte) []word {
	t.Helper()
	requireTool(t, "pdftotext")
	out := run(t, "pdftotext", "-bbox", "-f", "1", "-l", "1", "-enc", "UTF-8", writeTemp(t, "badges.pdf", pdf), "-")
	re := regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)
	var words []word
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		var box [4]float64
		for i := range box {
			v, err := strconv.ParseFloat(m[i+1], 64)
			if err != nil {
				t.Fatalf("pdftotext -bbox: %v", err)
			}
			box[i] = v * 25.4 / 72 // points to mm
		}
		words = append(words, word{html.UnescapeString(m[5]), box[0], box[1], box[2], box[3]})
	}
	return words
}

// scanPDF rasterises the PDF at dpi, as a printer would, and returns what a
// barcode scanner reads from it, one entry per symbol. symbology is a zbar
// name such as "qrcode" or "code128". With pages, only those pages are
// scanned.
func scanPDF(t *testing.T, pdfPath string, dpi int, symbology string, pages ...int) []string {
	t.Helper()
	requireTool(t, "pdftoppm")
	requireTool(t, "zbarimg")
	dir := t.TempDir()
	if len(pages) == 0 {
		run(t, "pdftoppm", "-r", strconv.Itoa(dpi), "-gray", "-png", pdfPath, filepath.Join(dir, "page"))
	}
	for _, p := range pages {
		n := strconv.Itoa(p)
		run(t, "pdftoppm", "-r", strconv.Itoa(dpi), "-gray", "-png", "-f", n, "-l", n, pdfPath, filepath.Join(dir, "page"))
	}
	images, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(images) == 0 {
		t.Fatal("pdftoppm produced no pages")
	}
	var out []string
	for _, p := range images {
		cmd := exec.Command("zbarimg", "-q", "--raw", "-Sdisable", "-S"+symbology+".enable", p)
		b, err := cmd.Output()
		if err != nil && len(b) == 0 {
			continue // zbarimg exits non-zero when a page has no symbol
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

// pageCount counts page objects in a gofpdf document.
func pageCount(pdf []byte) int {
	return len(regexp.MustCompile(`/Type /Page\n`).FindAll(pdf, -1))
}

// keys returns a hub signer and a verifier that trusts it.
func keys(t *testing.T) (*token.Signer, *token.Verifier) {
	t.Helper()
	hub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, ed25519.SeedSize))
	s, err := token.NewHubSigner(hub)
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(hub.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// signedList returns n sample badges with genuine tokens.
func signedList(t *testing.T, n int, s *token.Signer) []badges.Badge {
	t.Helper()
	list, err := sample.List(n, func(i int) (string, error) {
		return s.Sign(token.Claims{Conference: "gophercon-eu-2026", Seat: sample.Seat(i), IssuedAt: time.Date(2026, 9, 14, 8, 0, 0, 0, time.UTC)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}
