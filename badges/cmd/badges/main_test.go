package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const header = "name,company,role,email,seat_types\n"

type result struct {
	err            error
	stdout, stderr string
	dir, out       string
}

// badgesCmd runs the command with args and environment in a fresh
// directory holding the given CSV as attendees.csv.
func badgesCmd(t *testing.T, csv string, env map[string]string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "attendees.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	expand := func(s string) string { return strings.ReplaceAll(s, "$DIR", dir) }
	for i := range args {
		args[i] = expand(args[i])
	}
	getenv := func(k string) string { return expand(env[k]) }
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, getenv, &stdout, &stderr)
	return result{err, stdout.String(), stderr.String(), dir, filepath.Join(dir, "badges.pdf")}
}

func (r result) outputFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != "attendees.csv" && e.Name() != "key.pem" {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestRendersEveryAttendeeOfTheCSVIntoOnePDF(t *testing.T) {
	csv := header +
		"Zoë Ødegård-Łukasiewicz,Fjord Systems,Staff Engineer,zoe@example.com,Full conference;Workshop: Profiling Go\n" +
		"王小明,北京科技,工程师,wang@example.com,Full conference|Speakers' dinner\n" +
		"\"Дмитрий Шостакович\",\"Ленинград, Ltd\",,dmitri@example.com,\n"
	r := badgesCmd(t, csv, nil, "--csv", "$DIR/attendees.csv", "--out", "$DIR/badges.pdf", "--layout", "a4-sheet", "--conference", "GopherCon EU")
	if r.err != nil {
		t.Fatalf("run: %v", r.err)
	}
	if !strings.Contains(r.stderr, "ephemeral key") {
		t.Errorf("no warning about the ephemeral key on stderr: %q", r.stderr)
	}
	if got := r.outputFiles(t); len(got) != 1 || got[0] != "badges.pdf" {
		t.Errorf("files left = %v, want just badges.pdf", got)
	}
	text := pdfText(t, r.out)
	for _, want := range []string{"Zoë Ødegård-Łukasiewicz", "王小明", "Дмитрий Шостакович", "Ленинград, Ltd", "• Workshop: Profiling Go", "GopherCon EU"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
}

func TestFlagsFallBackToEnvironmentVariables(t *testing.T) {
	r := badgesCmd(t, header+"Ada Lovelace,,,ada@example.com,\n", map[string]string{
		"BADGES_CSV":    "$DIR/attendees.csv",
		"BADGES_OUT":    "$DIR/badges.pdf",
		"BADGES_LAYOUT": "letter-sheet",
		"BADGES_ACCENT": "#0A7B83",
	})
	if r.err != nil {
		t.Fatalf("run: %v", r.err)
	}
	data, err := os.ReadFile(r.out)
	if err != nil {
		t.Fatal(err)
	}
	// US Letter is 612 x 792 pt.
	if !bytes.Contains(data, []byte("/MediaBox [0 0 612.00 792.00]")) {
		t.Error("BADGES_LAYOUT=letter-sheet did not give a Letter page")
	}
}

func TestBadInputFailsWithOneLineAndLeavesNoFile(t *testing.T) {
	okRow := "Ada Lovelace,,,ada@example.com,\n"
	cases := []struct {
		name, csv string
		args      []string
		want      string
	}{
		{"missing column", "name,company,email,seat_types\n" + "Ada,,a@b,\n", nil, `missing column "role"`},
		{"empty name", header + okRow + "  ,Acme,,x@example.com,\n", nil, "line 3: empty attendee name"},
		{"name too long", header + strings.Repeat("x", 81) + ",,,,\n", nil, "line 2"},
		{"name in a script no font covers", header + "བཀྲ་ཤིས,,,,\n", nil, "Tibetan script"},
		{"unknown layout", header + okRow, []string{"--layout", "a3-poster"}, `unknown layout "a3-poster"`},
		{"invalid colour", header + okRow, []string{"--accent", "blue"}, "invalid colour"},
		{"unreadable file", header + okRow, []string{"--csv", "$DIR/missing.csv"}, "no such file"},
		{"header only", header, nil, "no attendees"},
		{"bad key file", header + okRow, []string{"--key", "$DIR/attendees.csv"}, "signing key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"--csv", "$DIR/attendees.csv", "--out", "$DIR/badges.pdf"}, c.args...)
			r := badgesCmd(t, c.csv, nil, args...)
			if r.err == nil {
				t.Fatal("run succeeded")
			}
			msg := r.err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line containing %q", msg, c.want)
			}
			if got := r.outputFiles(t); len(got) != 0 {
				t.Errorf("files left behind: %v", got)
			}
		})
	}
}

func TestSignsWithTheGivenKeyFile(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	r := badgesCmd(t, header+"Ada Lovelace,,,ada@example.com,\n", nil, "--csv", "$DIR/attendees.csv", "--out", "$DIR/badges.pdf", "--key", "$DIR/key.pem")
	if r.err == nil {
		t.Fatal("a missing key file was accepted")
	}
	dir := filepath.Dir(r.out)
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"--csv", filepath.Join(dir, "attendees.csv"), "--out", r.out, "--key", filepath.Join(dir, "key.pem")}, func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run with PEM key: %v", err)
	}
	if strings.Contains(stderr.String(), "ephemeral") {
		t.Error("warned about an ephemeral key although --key was given")
	}
}

func TestLongBatchShowsProgressOnStderr(t *testing.T) {
	var csv strings.Builder
	csv.WriteString(header)
	for i := range 120 {
		fmt.Fprintf(&csv, "Attendee %d,Acme,,a%d@example.com,Full conference\n", i, i)
	}
	r := badgesCmd(t, csv.String(), nil, "--csv", "$DIR/attendees.csv", "--out", "$DIR/badges.pdf", "--layout", "a4-sheet")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.stderr, "rendered 120/120 badges") || !strings.Contains(r.stderr, "rendered 12/120") {
		t.Errorf("stderr lacks progress: %q", r.stderr)
	}
}

func pdfText(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is not installed; CI must install poppler-utils")
		}
		t.Skip("skipping: pdftotext is not installed (apt-get install poppler-utils); with CI=true this fails")
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
