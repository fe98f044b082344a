package pdfjoin

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jung-kurt/gofpdf"
)

// doc renders one page per text with gofpdf, as the badges package does.
func doc(t testing.TB, compress bool, texts ...string) []byte {
	t.Helper()
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(compress)
	pdf.SetFont("Helvetica", "", 14)
	for _, s := range texts {
		pdf.AddPage()
		pdf.Text(20, 30, s)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (apt-get install poppler-utils)", name)
		}
		t.Skipf("skipping: %s is not installed (apt-get install poppler-utils)", name)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("%s complains: %s", name, stderr.String())
	}
	return stdout.String()
}

func join(t *testing.T, chunks ...[]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	j := New(&out)
	for i, c := range chunks {
		if err := j.Add(c); err != nil {
			t.Fatalf("Add chunk %d: %v", i, err)
		}
	}
	if err := j.Close(Info{Title: "Joined (test) Zoë", Creator: "pdfjoin test"}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestJoinedChunksReadAsOneDocumentInOrder(t *testing.T) {
	for _, compress := range []bool{true, false} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			// Uncompressed page text that looks like PDF syntax must pass
			// through the streams untouched.
			out := join(t,
				doc(t, compress, "page one", "page two 3 0 R endobj"),
				doc(t, compress, "page three"),
				doc(t, compress, "page four", "page five", "page six"))
			path := filepath.Join(t.TempDir(), "joined.pdf")
			if err := os.WriteFile(path, out, 0o600); err != nil {
				t.Fatal(err)
			}
			info := tool(t, "pdfinfo", path)
			if !regexp.MustCompile(`(?m)^Pages:\s+6$`).MatchString(info) {
				t.Errorf("pdfinfo:\n%s\nwant 6 pages", info)
			}
			if !strings.Contains(info, "Joined (test) Zoë") {
				t.Errorf("pdfinfo does not show the title:\n%s", info)
			}
			want := []string{"page one", "page two 3 0 R endobj", "page three", "page four", "page five", "page six"}
			for i, w := range want {
				got := strings.TrimSpace(tool(t, "pdftotext", "-f", fmt.Sprint(i+1), "-l", fmt.Sprint(i+1), path, "-"))
				if got != w {
					t.Errorf("page %d reads %q, want %q", i+1, got, w)
				}
			}
		})
	}
}

func TestJoinWritesOneCatalogAndOneXref(t *testing.T) {
	out := join(t, doc(t, true, "a"), doc(t, true, "b"))
	for _, s := range []string{"/Type /Catalog", "\nxref\n", "trailer", "/Type /Pages"} {
		if n := bytes.Count(out, []byte(s)); n != 1 {
			t.Errorf("%q occurs %d times, want once", s, n)
		}
	}
}

func TestMalformedChunkIsRefusedAndNothingWritten(t *testing.T) {
	good := doc(t, true, "good")
	length := regexp.MustCompile(`/Length (\d+)`)
	cases := map[string][]byte{
		"empty":          nil,
		"not a PDF":      []byte("hello world"),
		"truncated":      good[:len(good)/2],
		"no trailer":     good[:bytes.LastIndex(good, []byte("trailer"))],
		"wrong /Length":  length.ReplaceAll(good, []byte("/Length 7")),
		"huge /Length":   length.ReplaceAll(good, []byte("/Length 99999999")),
		"dangling ref":   bytes.Replace(good, []byte("/Resources 2 0 R"), []byte("/Resources 99 0 R"), 1),
		"no obj keyword": bytes.Replace(good, []byte("3 0 obj"), []byte("3 0 xbj"), 1),
		"unbalanced":     bytes.Replace(good, []byte(">>\nendobj"), []byte("\nendobj"), 1),
		"count mismatch": bytes.Replace(good, []byte("/Count 1"), []byte("/Count 2"), 1),
	}
	for name, chunk := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			j := New(&out)
			err := j.Add(chunk)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Add = %v, want ErrMalformed", err)
			}
			if err := j.Close(Info{}); !errors.Is(err, ErrNoPages) {
				t.Errorf("Close after a refused chunk = %v, want ErrNoPages", err)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written for a refused chunk", out.Len())
			}
		})
	}
}

func TestChunksOfAnotherPageSizeAreRefused(t *testing.T) {
	letter := gofpdf.New("P", "mm", "Letter", "")
	letter.AddPage()
	var buf bytes.Buffer
	if err := letter.Output(&buf); err != nil {
		t.Fatal(err)
	}
	j := New(&bytes.Buffer{})
	if err := j.Add(doc(t, true, "a4")); err != nil {
		t.Fatal(err)
	}
	if err := j.Add(buf.Bytes()); !errors.Is(err, ErrPageSize) {
		t.Errorf("Add of a Letter chunk after A4 = %v, want ErrPageSize", err)
	}
}

func FuzzAdd(f *testing.F) {
	good := doc(f, true, "fuzz")
	f.Add(good)
	f.Add(doc(f, false, "x (y) <z> [w] 1 0 R"))
	f.Add(good[:len(good)-40])
	f.Fuzz(func(t *testing.T, chunk []byte) {
		var out bytes.Buffer
		j := New(&out)
		if err := j.Add(chunk); err != nil {
			if out.Len() != 0 {
				t.Fatalf("refused chunk wrote %d bytes", out.Len())
			}
			return
		}
		if err := j.Close(Info{}); err != nil {
			t.Fatalf("Close after an accepted chunk: %v", err)
		}
	})
}
