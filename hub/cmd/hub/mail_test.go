package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"conference/hub/mail/mailpittest"
)

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestServeSendsMailThroughTheSMTPServerItIsGiven runs `hub serve --demo`
// with an SMTP server requiring STARTTLS and AUTH (mailpit, its
// certificate from the test's own CA), the password in the environment,
// and a public URL: the demo organizer asks for a password
// reset and the mail arrives, its link on the public URL. The password
// appears nowhere in what the hub prints.
func TestServeSendsMailThroughTheSMTPServerItIsGiven(t *testing.T) {
	const password = "pw-s3cret-value-7"
	srv := mailpittest.Start(t, mailpittest.Options{StartTLS: true, Users: map[string]string{"hub": password}})
	env := map[string]string{"HUB_SMTP_PASSWORD": password, "HUB_SMTP_USER": "hub"}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "hub.db"), "--demo",
		"--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port), "--smtp-ca-file", srv.CertFile(),
		"--public-url", "https://tickets.example.org/", "--smtp-from", "Demo Conf <tickets@example.org>"}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer // written by run only, read once it returned
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var banner, hubURL string
	for lines.Scan() {
		banner += lines.Text() + "\n"
		if _, rest, ok := strings.Cut(lines.Text(), "listening on "); ok {
			hubURL, _, _ = strings.Cut(rest, " ")
		}
		if strings.HasPrefix(lines.Text(), "  promo code:") {
			break
		}
	}
	rest := make(chan string, 1)
	go func() {
		var b strings.Builder
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
		}
		rest <- b.String()
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hub: %v", err)
		}
		for name, out := range map[string]string{"stdout": banner + <-rest, "stderr": stderr.String()} {
			if strings.Contains(out, password) {
				t.Errorf("the SMTP password appears in the hub's %s:\n%s", name, out)
			}
		}
	}()
	if !strings.Contains(banner, "mail: smtp://hub@127.0.0.1:") {
		t.Fatalf("the hub does not say where mail goes:\n%s", banner)
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := get(t, c, hubURL+"/org/signin/forgot")
	m := csrfRE.FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("no CSRF token on the form:\n%s", form)
	}
	resp, err := c.PostForm(hubURL+"/org/signin/forgot", url.Values{"_csrf": {m[1]}, "email": {"demo@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("forgot: %s", resp.Status)
	}
	got := mailpittest.WaitFor(t, srv, 15*time.Second, func(list []mailpittest.Summary) (mailpittest.Summary, error) {
		if mine := mailpittest.To(list, "demo@example.com"); len(mine) == 1 {
			return mine[0], nil
		}
		return mailpittest.Summary{}, fmt.Errorf("%d mails", len(list))
	})
	msg := srv.Message(t, got.ID)
	if msg.From.Address != "tickets@example.org" || msg.From.Name != "Demo Conf" {
		t.Errorf("from %+v", msg.From)
	}
	if !strings.Contains(msg.Text, "https://tickets.example.org/org/signin/reset/") {
		t.Fatalf("the link is not on the public URL:\n%s", msg.Text)
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestServeRefusesMailFlagsThatCannotWork(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hub.db")
	for name, extra := range map[string][]string{
		"STARTTLS policy":       {"--smtp-host", "mail.example.org", "--smtp-starttls", "sometimes"},
		"public URL scheme":     {"--public-url", "ftp://hub.example.org"},
		"sending address":       {"--smtp-from", "not an address"},
		"missing password file": {"--smtp-host", "mail.example.org", "--smtp-user", "u", "--smtp-password-file", filepath.Join(t.TempDir(), "none")},
	} {
		err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, extra...), noEnv, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("%s: the hub started", name)
			continue
		}
		if name != "missing password file" && !errors.Is(err, errUsage) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
}
