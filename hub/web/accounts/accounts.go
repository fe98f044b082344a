// Package accounts keeps what signing in to the hub's web pages needs:
// organizers' password hashes (bcrypt) and their sessions, in the hub's
// SQLite file (migrations component "web"). Organizers themselves belong to
// Conference Management; this package only knows their ids and, to sign in
// by email, reads the organizers table.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"conference/hub/conferences"
	"conference/migrations"
	"conference/shared/sqldb"
)

// Errors callers branch on.
var (
	// ErrBadCredentials is returned for an unknown email, an account with
	// no password or a wrong password, without saying which.
	ErrBadCredentials = errors.New("email or password is wrong")
	// ErrNoSession is returned for an unknown, expired or malformed
	// session token.
	ErrNoSession = errors.New("no such session")
	// ErrWeakPassword is matched by a *PasswordError.
	ErrWeakPassword = errors.New("password not acceptable")
)

// Password length bounds. bcrypt reads at most 72 bytes; longer passwords
// are refused rather than silently truncated.
const (
	MinPasswordLength = 10
	MaxPasswordBytes  = 72
)

// PasswordError says why a password is refused, in words for the form.
type PasswordError struct{ Message string }

func (e *PasswordError) Error() string { return "password " + e.Message }

// Is makes errors.Is(err, ErrWeakPassword) true.
func (e *PasswordError) Is(target error) bool { return target == ErrWeakPassword }

// CheckPassword reports why password cannot be used, or nil.
func CheckPassword(password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return &PasswordError{fmt.Sprintf("must be at least %d characters", MinPasswordLength)}
	case len(password) > MaxPasswordBytes:
		return &PasswordError{fmt.Sprintf("must be at most %d bytes", MaxPasswordBytes)}
	case strings.TrimSpace(password) == "":
		return &PasswordError{"must not be only spaces"}
	}
	return nil
}

// Accounts stores password hashes and sessions.
type Accounts struct {
	db *sqldb.DB
	// Now is the clock sessions expire by; time.Now when nil.
	Now func() time.Time
	// SessionTTL is how long a session lasts after sign-in.
	SessionTTL time.Duration
	// Cost is the bcrypt cost; bcrypt.DefaultCost when 0.
	Cost int

	dummyOnce sync.Once
	dummy     []byte // hash compared against for unknown emails
}

// New returns Accounts on db, applying the web schema if the database does
// not have it yet (the hub normally migrates it at open; applying is
// idempotent).
func New(ctx context.Context, db *sqldb.DB) (*Accounts, error) {
	if err := migrations.Apply(ctx, db, migrations.Web); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return Open(db), nil
}

// Open returns Accounts on a database that has the web schema already
// (the hub migrates it at open).
func Open(db *sqldb.DB) *Accounts {
	return &Accounts{db: db, SessionTTL: 24 * time.Hour}
}

func (a *Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Accounts) cost() int {
	if a.Cost == 0 {
		return bcrypt.DefaultCost
	}
	return a.Cost
}

// SetPassword sets (or replaces) the organizer's password. Existing
// sessions of the organizer are ended, so a changed password locks out
// whoever knew the old one.
func (a *Accounts) SetPassword(ctx context.Context, organizerID uuid.UUID, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost())
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if err := a.setPasswordTx(ctx, tx, organizerID, hash); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set password of %s: %w", organizerID, err)
	}
	return nil
}

// setPasswordTx stores a password hash and ends the organizer's sessions.
func (a *Accounts) setPasswordTx(ctx context.Context, tx sqldb.Tx, organizerID uuid.UUID, hash []byte) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO web_passwords (organizer_id, hash, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (organizer_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
		organizerID[:], string(hash), a.now().UnixMilli()); err != nil {
		return fmt.Errorf("set password of %s: %w", organizerID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE organizer_id = $1`, organizerID[:]); err != nil {
		return fmt.Errorf("end sessions of %s: %w", organizerID, err)
	}
	return nil
}

// Verify returns the organizer whose email and password these are, or
// ErrBadCredentials. An unknown email costs the same bcrypt comparison as
// a known one, so timing does not tell which emails have accounts.
func (a *Accounts) Verify(ctx context.Context, email, password string) (uuid.UUID, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var (
		id   []byte
		hash string
	)
	err := a.db.QueryRowContext(ctx, `SELECT o.id, p.hash FROM organizers o
		JOIN web_passwords p ON p.organizer_id = o.id WHERE o.email = $1`, email).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) || len(id) != 16 {
		a.dummyOnce.Do(func() {
			a.dummy, _ = bcrypt.GenerateFromPassword([]byte("no account has this password"), a.cost())
		})
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(password))
		return uuid.Nil, ErrBadCredentials
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("verify password: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return uuid.Nil, ErrBadCredentials
	}
	return uuid.UUID(id), nil
}

// sessionBytes is the entropy of a session token: 256 bits.
const sessionBytes = 32

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// StartSession opens a session for the organizer and returns its token
// (for the cookie) and when it expires.
func (a *Accounts) StartSession(ctx context.Context, organizerID uuid.UUID) (string, time.Time, error) {
	var buf [sessionBytes]byte
	_, _ = rand.Read(buf[:]) // never fails since Go 1.24
	token := base64.RawURLEncoding.EncodeToString(buf[:])
	now := a.now()
	expires := now.Add(a.SessionTTL)
	if _, err := a.db.ExecContext(ctx, `INSERT INTO web_sessions (id_hash, organizer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		hashToken(token), organizerID[:], now.UnixMilli(), expires.UnixMilli()); err != nil {
		return "", time.Time{}, fmt.Errorf("start session: %w", err)
	}
	// Sweep expired sessions now and then, so the table does not grow.
	if buf[0] == 0 {
		_, _ = a.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at < $1`, now.UnixMilli())
	}
	return token, expires, nil
}

// Session returns the organizer signed in with token.
func (a *Accounts) Session(ctx context.Context, token string) (*conferences.Organizer, error) {
	if b, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(b) != sessionBytes {
		return nil, ErrNoSession
	}
	var (
		id      []byte
		o       conferences.Organizer
		created int64
	)
	err := a.db.QueryRowContext(ctx, `SELECT o.id, o.email, o.display_name, o.created_at
		FROM web_sessions s JOIN organizers o ON o.id = s.organizer_id
		WHERE s.id_hash = $1 AND s.expires_at > $2`,
		hashToken(token), a.now().UnixMilli()).Scan(&id, &o.Email, &o.DisplayName, &created)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(id) != 16) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	o.ID, o.CreatedAt = uuid.UUID(id), time.UnixMilli(created).UTC()
	return &o, nil
}

// EndSession signs the session out; ending an unknown session is a no-op.
func (a *Accounts) EndSession(ctx context.Context, token string) error {
	if _, err := a.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = $1`, hashToken(token)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Secret returns the named secret, creating it with size random bytes the
// first time. Concurrent first calls agree on one value.
func (a *Accounts) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	_, _ = rand.Read(fresh)
	if _, err := a.db.ExecContext(ctx, `INSERT INTO web_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("create secret %s: %w", name, err)
	}
	var v []byte
	if err := a.db.QueryRowContext(ctx, `SELECT value FROM web_secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	return v, nil
}
