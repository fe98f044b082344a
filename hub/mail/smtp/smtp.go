// Package smtp sends the hub's mails through an SMTP server, with
// github.com/wneessen/go-mail: STARTTLS (required by default), SMTP AUTH
// when a user is configured (the server's strongest offered mechanism:
// SCRAM, PLAIN or LOGIN over TLS), one connection per mail, bounded by a
// timeout and the bus's context.
//
// go-mail rather than net/smtp: net/smtp is frozen (its documentation
// says so) and offers neither MIME composition nor TLS policies, SCRAM
// auth or context-aware dialing; go-mail is kept up, has them all, and
// reports SMTP replies as typed errors telling temporary from permanent.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"

	"conference/hub/mail"
	"conference/hub/mail/eml"
)

// TLS policies for the connection.
const (
	// StartTLSRequired refuses to send over a server that does not offer
	// STARTTLS (the default).
	StartTLSRequired = "required"
	// StartTLSOpportunistic uses STARTTLS when offered.
	StartTLSOpportunistic = "opportunistic"
	// StartTLSOff never encrypts: a local relay or a test server only.
	StartTLSOff = "off"
)

// Config says how to reach the server.
type Config struct {
	Host string
	Port int // default 587
	// Username and Password enable SMTP AUTH; empty Username sends
	// without.
	Username, Password string
	// StartTLS is StartTLSRequired (default), StartTLSOpportunistic or
	// StartTLSOff.
	StartTLS string
	// TLS overrides the TLS configuration (tests trust their own CA);
	// nil verifies the server's certificate for Host.
	TLS *tls.Config
	// Timeout bounds connecting and each exchange (default 30 s).
	Timeout time.Duration
}

// Sender is a mail.Sender on an SMTP server.
type Sender struct {
	cfg  Config
	opts []gomail.Option
}

var _ mail.Sender = (*Sender)(nil)

// ErrConfig is matched by configuration errors.
var ErrConfig = errors.New("smtp configuration")

// New checks cfg and returns a Sender; nothing is dialled until Send.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("%w: no host", ErrConfig)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("%w: port %d", ErrConfig, cfg.Port)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	policy := gomail.TLSMandatory
	switch cfg.StartTLS {
	case "", StartTLSRequired:
	case StartTLSOpportunistic:
		policy = gomail.TLSOpportunistic
	case StartTLSOff:
		policy = gomail.NoTLS
	default:
		return nil, fmt.Errorf("%w: STARTTLS policy %q (want %s, %s or %s)", ErrConfig, cfg.StartTLS,
			StartTLSRequired, StartTLSOpportunistic, StartTLSOff)
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, fmt.Errorf("%w: a password without a user", ErrConfig)
	}
	tlsConfig := cfg.TLS
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port), gomail.WithTLSPolicy(policy), gomail.WithTLSConfig(tlsConfig),
		gomail.WithTimeout(cfg.Timeout),
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return &Sender{cfg: cfg, opts: opts}, nil
}

// Send implements mail.Sender: it dials, authenticates, sends m and
// hangs up.
func (s *Sender) Send(ctx context.Context, m mail.Mail) (mail.Receipt, error) {
	msg, err := eml.Compose(m)
	if err != nil {
		return mail.Receipt{}, err
	}
	client, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return mail.Receipt{}, fmt.Errorf("smtp %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return mail.Receipt{}, fmt.Errorf("smtp %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return mail.Receipt{Via: "smtp"}, nil
}

// String describes the server, never the password.
func (s *Sender) String() string {
	who := ""
	if s.cfg.Username != "" {
		who = s.cfg.Username + "@"
	}
	return fmt.Sprintf("smtp://%s%s:%d (STARTTLS %s)", who, s.cfg.Host, s.cfg.Port, policyName(s.cfg.StartTLS))
}

func policyName(p string) string {
	if p == "" {
		return StartTLSRequired
	}
	return p
}
