package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"conference/shared/eventstore"
	"conference/shared/eventstore/pgstore"
	"conference/shared/eventstore/sqlitestore"
	"conference/shared/pgtest"

	"github.com/jackc/pgx/v5"
)

func noEnv(string) string { return "" }

// startHub runs the program as `hub serve` on a free port, with extra flags,
// and returns its URL once it prints that it is listening.
func startHub(t *testing.T, db string, extra ...string) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	// On PostgreSQL the default mail folder is under the working directory
	// (the package's source folder); a flag in extra overrides this one.
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "warn", "--mail-dir", t.TempDir()}, extra...)
	go func() {
		done <- run(ctx, args, noEnv, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("hub printed no address: %v (exit: %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	_, rest, _ := strings.Cut(line, "listening on ")
	url, _, _ := strings.Cut(rest, " ")
	return url, cancel, done
}

func TestServeAnswersHealthzAndStopsGracefully(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hub.db")
	url, cancel, done := startHub(t, db)
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("got %d %s, want 200 with status ok", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("hub did not stop after its context was cancelled")
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("database not created: %v", err)
	}
}

func TestServeRefusesBadDatabaseWithOneLineError(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("this is not sqlite ", 400)), 0o644); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.db")
	holder, err := sqlitestore.Open(context.Background(), locked, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()

	cases := []struct {
		name, db string
		want     error
	}{
		{"corrupt file", corrupt, sqlitestore.ErrNotDatabase},
		{"held by another hub", locked, sqlitestore.ErrLocked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", tc.db}, noEnv, io.Discard, io.Discard)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tc.db) {
				t.Fatalf("error %q must be one line naming the file", err)
			}
		})
	}
}

func TestUnknownCommandAndBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"launch"}, {"serve", "--port", "1"}, {"serve", "--log-level", "loud"}} {
		err := run(context.Background(), args, noEnv, io.Discard, io.Discard)
		if exitCode(err) != 2 {
			t.Errorf("args %q: got %v (exit %d), want a usage error (exit 2)", args, err, exitCode(err))
		}
	}
}

func TestSecureCookiesFlagMarksTheWebUIsCookiesSecure(t *testing.T) {
	cases := []struct {
		name       string
		flags      []string
		wantSecure bool
	}{
		{"without the flag", nil, false},
		{"with --secure-cookies", []string{"--secure-cookies"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url, cancel, done := startHub(t, filepath.Join(t.TempDir(), "hub.db"), tc.flags...)
			defer func() { cancel(); <-done }()
			// Given a hub on plain HTTP, when a browser opens the sign-in
			// page, then the session's CSRF cookie is Secure exactly when
			// the flag says so.
			resp, err := http.Get(url + "/org/signin")
			if err != nil {
				t.Fatalf("GET /org/signin: %v", err)
			}
			resp.Body.Close()
			cookies := resp.Cookies()
			if resp.StatusCode != http.StatusOK || len(cookies) == 0 {
				t.Fatalf("got %d with %d cookies, want 200 with the CSRF cookie", resp.StatusCode, len(cookies))
			}
			for _, ck := range cookies {
				if ck.Secure != tc.wantSecure || !ck.HttpOnly {
					t.Errorf("cookie %s: Secure %v HttpOnly %v, want Secure %v and HttpOnly", ck.Name, ck.Secure, ck.HttpOnly, tc.wantSecure)
				}
			}
		})
	}
}

func TestSecureCookiesParsesFromEnvironment(t *testing.T) {
	cases := []struct {
		env  string
		args []string
		want bool
	}{
		{"", nil, false},
		{"true", nil, true},
		{"1", nil, true},
		{"false", nil, false},
		{"true", []string{"--secure-cookies=false"}, false}, // the flag wins
		{"", []string{"--secure-cookies"}, true},
	}
	for _, tc := range cases {
		getenv := func(k string) string {
			if k == "HUB_SECURE_COOKIES" {
				return tc.env
			}
			return ""
		}
		cfg, err := parseServe(tc.args, getenv, io.Discard)
		if err != nil || cfg.secureCookies != tc.want {
			t.Errorf("HUB_SECURE_COOKIES=%q args %q: got %v (err %v), want %v", tc.env, tc.args, cfg.secureCookies, err, tc.want)
		}
	}
	// A value that is not a boolean is a usage error, not a silent "off".
	_, err := parseServe(nil, func(k string) string {
		if k == "HUB_SECURE_COOKIES" {
			return "yes please"
		}
		return ""
	}, io.Discard)
	if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), "HUB_SECURE_COOKIES") {
		t.Fatalf("HUB_SECURE_COOKIES=\"yes please\": got %v, want a usage error naming the variable", err)
	}
}

func TestFlagsFallBackToEnvironment(t *testing.T) {
	env := map[string]string{"HUB_ADDR": "0.0.0.0:9999", "HUB_DB": "/tmp/x.db"}
	cfg, err := parseServe(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.addr != "0.0.0.0:9999" || cfg.db != "/tmp/x.db" {
		t.Fatalf("got %+v (err %v), want env values", cfg, err)
	}
	cfg, _ = parseServe([]string{"--addr", "127.0.0.1:1"}, func(k string) string { return env[k] }, io.Discard)
	if cfg.addr != "127.0.0.1:1" {
		t.Fatalf("got %s, want the flag to win over the environment", cfg.addr)
	}
}

// PostgreSQL that cannot be used stops the hub at start with one line
// naming what is wrong, and never the password.
func TestServeRefusesAnUnusablePostgreSQLWithOneLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pg, err := pgtest.Start(ctx, pgtest.Options{Password: "s3cret-word"})
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer pg.Stop()
	good := pg.URL("postgres")
	cases := []struct {
		name, db string
		want     error
		says     string
	}{
		{"wrong password", strings.Replace(good, "s3cret-word", "wrong-word", 1), pgstore.ErrAuth, "refused the credentials"},
		{"no such database", strings.Replace(good, "/postgres?", "/nowhere?", 1), pgstore.ErrNoDatabase, "does not exist"},
		{"server down", "postgres://postgres:s3cret-word@/postgres?host=" + t.TempDir() + "&sslmode=disable", eventstore.ErrUnavailable, "unavailable"},
		{"not a URL", "postgres://postgres:s3cret-word@%zz/postgres", pgstore.ErrBadURL, "bad PostgreSQL URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", tc.db}, noEnv, io.Discard, io.Discard)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.says) || strings.Contains(msg, "s3cret") || strings.Contains(msg, "wrong-word") {
				t.Fatalf("error %q must be one line saying %q, without the password", msg, tc.says)
			}
			if exitCode(err) != 1 {
				t.Fatalf("exit code %d, want 1", exitCode(err))
			}
		})
	}
	// And the right one works.
	if _, err := pgx.Connect(ctx, good); err != nil {
		t.Fatalf("the good URL: %v", err)
	}
}

// HUB_LOG_FORMAT=json makes every log line a JSON object (the flag wins
// over the variable); an unknown format is a usage error.
func TestLogFormatJSONFromTheEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hub.db")
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	env := map[string]string{"HUB_LOG_FORMAT": "json", "HUB_ADDR": "127.0.0.1:0", "HUB_DB": db}
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, &logs)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "hub ready") {
		if time.Now().After(deadline) {
			t.Fatalf("no \"hub ready\" logged: %q", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil || v["msg"] == nil {
			t.Fatalf("log line %q is not a JSON object with a msg: %v", line, err)
		}
	}
	cfg, err := parseServe([]string{"--log-format", "text"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.logFormat != "text" {
		t.Fatalf("flag over HUB_LOG_FORMAT: got %q (err %v)", cfg.logFormat, err)
	}
	err = run(context.Background(), []string{"serve", "--log-format", "xml", "--db", db}, noEnv, io.Discard, io.Discard)
	if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), "log format") {
		t.Fatalf("--log-format xml: got %v, want a usage error", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
