// Package mailpittest runs a real SMTP server for tests: mailpit
// (github.com/axllent/mailpit v1.33.1, a Go program), started as a child
// process on loopback ports, optionally with STARTTLS and SMTP AUTH, and
// read through its HTTP API. It can be stopped and started again on the
// same ports and mailbox, to test a server that goes away.
//
// The binary is found as $MAILPIT, on PATH, or in $GOBIN / $GOPATH/bin
// (`go install github.com/axllent/mailpit@v1.33.1`, which .ci/run does).
// When there is none, the test is skipped with the reason, or fails in CI
// (CI=true), like PostgreSQL (shared/pgtest).
package mailpittest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the mailpit release the tests are written against.
const Version = "v1.33.1"

// Binary returns the path of mailpit, or ends the test when there is none
// (see Unavailable).
func Binary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("MAILPIT"); p != "" {
		return p
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := os.Getenv("GOPATH"); d != "" {
		dirs = append(dirs, filepath.Join(d, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "mailpit")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	Unavailable(tb, errors.New("no mailpit binary ($MAILPIT, PATH, $GOBIN, $GOPATH/bin); go install github.com/axllent/mailpit@"+Version))
	return ""
}

// Unavailable ends a test that needs mailpit when none can be had: a
// failure in CI, a skip saying why elsewhere.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	if v := os.Getenv("CI"); v != "" && v != "0" && v != "false" {
		tb.Fatalf("mailpit is required in CI: %v", err)
	}
	tb.Skipf("skipping: no mailpit to test against (%v)", err)
}

// Options configure a server.
type Options struct {
	// StartTLS makes the server offer STARTTLS with a certificate for
	// 127.0.0.1 made for the test, and require it.
	StartTLS bool
	// Users, when set, makes the server require SMTP AUTH with one of
	// these user names and passwords.
	Users map[string]string
}

// Server is a running (or stopped) mailpit.
type Server struct {
	// Host and Port are where its SMTP server listens.
	Host string
	Port int
	// API is the base URL of its HTTP API.
	API string

	bin      string
	args     []string
	dir      string
	pool     *x509.CertPool
	certFile string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// Start starts mailpit on free loopback ports with a mailbox of its own in
// a temporary folder; it is stopped when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{Host: "127.0.0.1", bin: Binary(tb), dir: tb.TempDir()}
	smtpPort, httpPort := freePort(tb), freePort(tb)
	s.Port, s.API = smtpPort, "http://127.0.0.1:"+strconv.Itoa(httpPort)
	s.args = []string{
		"--smtp", "127.0.0.1:" + strconv.Itoa(smtpPort), "--listen", "127.0.0.1:" + strconv.Itoa(httpPort),
		"--database", filepath.Join(s.dir, "mailpit.db"), "--disable-version-check", "--smtp-disable-rdns",
		"--max", "0", "--quiet",
	}
	if opts.StartTLS {
		cert, key := s.certificate(tb)
		s.certFile = cert
		s.args = append(s.args, "--smtp-tls-cert", cert, "--smtp-tls-key", key, "--smtp-require-starttls")
	}
	if len(opts.Users) > 0 {
		var lines []string
		for u, p := range opts.Users {
			lines = append(lines, u+":"+p)
		}
		path := filepath.Join(s.dir, "smtp-users")
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			tb.Fatal(err)
		}
		s.args = append(s.args, "--smtp-auth-file", path)
		if !opts.StartTLS {
			s.args = append(s.args, "--smtp-auth-allow-insecure")
		}
	}
	tb.Cleanup(func() { s.stop() })
	s.Restart(tb)
	return s
}

// CertFile is the PEM file of the server's (self-signed) certificate,
// with Options.StartTLS: what a client trusts to verify it.
func (s *Server) CertFile() string { return s.certFile }

// CertPool trusts the server's certificate (with Options.StartTLS).
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// TLSConfig is what a client verifying the server's certificate uses.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

// Restart starts the server (again, after Stop) on the same ports and
// mailbox, and waits until it answers.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		tb.Fatal("mailpit is running already")
	}
	s.out = &bytes.Buffer{}
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		Unavailable(tb, fmt.Errorf("start %s: %w", s.bin, err))
		return
	}
	s.cmd = cmd
	s.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.API + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if c, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), time.Second); err == nil {
				c.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mailpit did not answer within 30 s: %v\n%s", err, s.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the server (its SMTP port refuses connections afterwards);
// Restart brings it back with the mail it had.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if err := s.stop(); err != nil {
		tb.Fatalf("stop mailpit: %v\n%s", err, s.output())
	}
}

func (s *Server) stop() error {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("mailpit ignored SIGINT for 10 s and was killed")
	}
}

func (s *Server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

// Address is a mailbox as mailpit reports it.
type Address struct {
	Name    string
	Address string
}

// Summary is a message of the list.
type Summary struct {
	ID          string
	MessageID   string
	From        Address
	To          []Address
	Subject     string
	Attachments int
}

// Attachment is a part of a message that is a file.
type Attachment struct {
	PartID      string
	FileName    string
	ContentType string
	Size        int
}

// Message is a message with its parts.
type Message struct {
	ID          string
	MessageID   string
	From        Address
	To          []Address
	ReplyTo     []Address
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment
}

// Messages lists every message received, newest first.
func (s *Server) Messages(tb testing.TB) []Summary {
	tb.Helper()
	var list struct {
		Messages []Summary `json:"messages"`
	}
	s.get(tb, "/api/v1/messages?limit=1000", &list)
	return list.Messages
}

// Message reads one message.
func (s *Server) Message(tb testing.TB, id string) Message {
	tb.Helper()
	var m Message
	s.get(tb, "/api/v1/message/"+id, &m)
	return m
}

// Headers reads one message's headers.
func (s *Server) Headers(tb testing.TB, id string) map[string][]string {
	tb.Helper()
	h := map[string][]string{}
	s.get(tb, "/api/v1/message/"+id+"/headers", &h)
	return h
}

// Part reads one part (an attachment) of a message.
func (s *Server) Part(tb testing.TB, id, partID string) []byte {
	tb.Helper()
	return s.raw(tb, "/api/v1/message/"+id+"/part/"+partID)
}

// WaitFor polls the list until match finds what it waits for, and returns
// it; after timeout the test fails with what match last said.
func WaitFor[T any](tb testing.TB, s *Server, timeout time.Duration, match func([]Summary) (T, error)) T {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, err := match(s.Messages(tb))
		if err == nil {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mailpit: waited %s: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// To returns the messages to address, in the order received (oldest
// first).
func To(list []Summary, address string) []Summary {
	var out []Summary
	for i := len(list) - 1; i >= 0; i-- {
		for _, a := range list[i].To {
			if strings.EqualFold(a.Address, address) {
				out = append(out, list[i])
				break
			}
		}
	}
	return out
}

func (s *Server) get(tb testing.TB, path string, into any) {
	tb.Helper()
	if err := json.Unmarshal(s.raw(tb, path), into); err != nil {
		tb.Fatalf("mailpit %s: %v", path, err)
	}
}

func (s *Server) raw(tb testing.TB, path string) []byte {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.API+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("mailpit %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit %s: %s %v\n%s", path, resp.Status, err, b)
	}
	return b
}

// certificate writes a self-signed certificate for 127.0.0.1 and its key.
func (s *Server) certificate(tb testing.TB) (certFile, keyFile string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailpittest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	s.pool = x509.NewCertPool()
	s.pool.AddCert(cert)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile = filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return certFile, keyFile
}

// freePort returns a loopback port nothing listens on now.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
