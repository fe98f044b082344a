package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"

	"conference/hub/hubapp"
	"conference/hub/mail"
	"conference/hub/mail/smtp"
)

// mailConfig is how `hub serve` sends mail and links back to itself. The
// SMTP password is read from the environment (HUB_SMTP_PASSWORD) or a file
// (--smtp-password-file), never from a flag (a command line is visible to
// every user of the machine), and never printed.
type mailConfig struct {
	publicURL    string
	host         string
	port         int
	user         string
	passwordFile string
	from         string
	startTLS     string
	caFile       string
	dir          string
}

// register adds the mail flags to fs, each falling back to its
// environment variable.
func (m *mailConfig) register(fs *flag.FlagSet, getenv func(string) string) error {
	port := 587
	if v := strings.TrimSpace(getenv("HUB_SMTP_PORT")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%w: HUB_SMTP_PORT=%q: want a port number", errUsage, v)
		}
		port = p
	}
	fs.StringVar(&m.publicURL, "public-url", envOr(getenv, "HUB_PUBLIC_URL", ""),
		"where people reach the hub, the base of links in mails, e.g. https://tickets.example.org (HUB_PUBLIC_URL; default http://<--addr>)")
	fs.StringVar(&m.host, "smtp-host", envOr(getenv, "HUB_SMTP_HOST", ""),
		"SMTP server for the hub's mail (HUB_SMTP_HOST); without one, mails are written as .eml files to --mail-dir")
	fs.IntVar(&m.port, "smtp-port", port, "SMTP server port (HUB_SMTP_PORT)")
	fs.StringVar(&m.user, "smtp-user", envOr(getenv, "HUB_SMTP_USER", ""),
		"SMTP AUTH user (HUB_SMTP_USER); the password comes from HUB_SMTP_PASSWORD or --smtp-password-file")
	fs.StringVar(&m.passwordFile, "smtp-password-file", envOr(getenv, "HUB_SMTP_PASSWORD_FILE", ""),
		"`file` holding the SMTP password (HUB_SMTP_PASSWORD_FILE)")
	fs.StringVar(&m.from, "smtp-from", envOr(getenv, "HUB_SMTP_FROM", hubapp.DefaultMailFrom.Name+" <"+hubapp.DefaultMailFrom.Email+">"),
		"the hub's sending address, such as \"Conference hub <hub@example.org>\" (HUB_SMTP_FROM)")
	fs.StringVar(&m.startTLS, "smtp-starttls", envOr(getenv, "HUB_SMTP_STARTTLS", smtp.StartTLSRequired),
		"STARTTLS: required, opportunistic or off (HUB_SMTP_STARTTLS)")
	fs.StringVar(&m.caFile, "smtp-ca-file", envOr(getenv, "HUB_SMTP_CA_FILE", ""),
		"PEM `file` of the certificate authorities the SMTP server's certificate must chain to, for a relay with a private CA (HUB_SMTP_CA_FILE; default: the system's)")
	fs.StringVar(&m.dir, "mail-dir", envOr(getenv, "HUB_MAIL_DIR", ""),
		"`folder` of the .eml files written without an SMTP server (HUB_MAIL_DIR; default: mail beside the SQLite file, data/mail with PostgreSQL)")
	return nil
}

// apply checks the mail flags and puts them in cfg; it returns how mail
// goes out, for people.
func (m *mailConfig) apply(cfg *hubapp.Config, addr string, getenv func(string) string) (string, error) {
	public := m.publicURL
	if public == "" {
		public = listenURL(addr)
	}
	if u, err := url.Parse(public); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: --public-url %q: want an http or https URL", errUsage, public)
	}
	from, err := netmail.ParseAddress(m.from)
	if err != nil {
		return "", fmt.Errorf("%w: --smtp-from %q: %v", errUsage, m.from, err)
	}
	cfg.PublicURL, cfg.MailFrom, cfg.MailDir = strings.TrimRight(public, "/"), mail.Address{Name: from.Name, Email: from.Address}, m.dir
	if m.host == "" {
		dir := m.dir
		if dir == "" {
			dir = hubapp.MailDir(cfg.DB)
		}
		return ".eml files in " + dir + " (no SMTP server configured)", nil
	}
	password := getenv("HUB_SMTP_PASSWORD")
	if m.passwordFile != "" {
		b, err := os.ReadFile(m.passwordFile)
		if err != nil {
			return "", fmt.Errorf("read the SMTP password: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	var tlsConfig *tls.Config
	if m.caFile != "" {
		pem, err := os.ReadFile(m.caFile)
		if err != nil {
			return "", fmt.Errorf("read the SMTP server's CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return "", fmt.Errorf("%w: --smtp-ca-file %s holds no PEM certificate", errUsage, m.caFile)
		}
		tlsConfig = &tls.Config{RootCAs: pool, ServerName: m.host, MinVersion: tls.VersionTLS12}
	}
	s, err := smtp.New(smtp.Config{Host: m.host, Port: m.port, Username: m.user, Password: password, StartTLS: m.startTLS, TLS: tlsConfig})
	if err != nil {
		return "", fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg.Mailer = s
	return s.String(), nil
}

// listenURL is the URL of a listen address, for links when no public URL
// is given: a wildcard host reads as localhost.
func listenURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
