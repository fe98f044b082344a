package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"conference/shared/ids"
	"conference/shared/sqldb"
)

// Password reset errors callers branch on.
var (
	// ErrNoAccount: no organizer has that email. A page answers the same
	// as for an account, so the form tells nobody which emails have one.
	ErrNoAccount = errors.New("no organizer account has this email")
	// ErrTooManyResets: the organizer was sent ResetsPerHour links in the
	// last hour already (by anyone, from any replica).
	ErrTooManyResets = errors.New("too many password resets asked for")
	// ErrResetInvalid: the link is unknown, used, replaced by a newer
	// mail, or expired.
	ErrResetInvalid = errors.New("the password reset link is unknown, used or expired")
)

// Password reset limits.
const (
	// ResetTTL is how long a reset link works.
	ResetTTL = time.Hour
	// ResetsPerHour bounds the reset mails one account gets in an hour.
	ResetsPerHour = 3
)

// Reset is a password reset an organizer asked for.
type Reset struct {
	ID          uuid.UUID
	OrganizerID uuid.UUID
	Email, Name string
	ExpiresAt   time.Time
}

// RequestReset records a password reset for the organizer whose email this
// is and calls ask, in the same transaction, to ask for its mail (an
// outbox command): both are stored or neither. The reset carries no token
// yet: IssueResetToken makes one when the mail is written.
func (a *Accounts) RequestReset(ctx context.Context, email string, ask func(ctx context.Context, tx sqldb.Tx, r Reset) error) (Reset, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := a.now()
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return Reset{}, fmt.Errorf("request password reset: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	r := Reset{ID: ids.New(), Email: email, ExpiresAt: now.Add(ResetTTL)}
	var id []byte
	err = tx.QueryRowContext(ctx, `SELECT id, display_name FROM organizers WHERE email = $1`, email).Scan(&id, &r.Name)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(id) != 16) {
		return Reset{}, ErrNoAccount
	}
	if err != nil {
		return Reset{}, fmt.Errorf("request password reset: %w", err)
	}
	r.OrganizerID = uuid.UUID(id)
	var recent int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM web_password_resets WHERE organizer_id = $1 AND created_at > $2`,
		id, now.Add(-time.Hour).UnixMilli()).Scan(&recent); err != nil {
		return Reset{}, fmt.Errorf("request password reset: %w", err)
	}
	if recent >= ResetsPerHour {
		return Reset{}, fmt.Errorf("%s: %w", email, ErrTooManyResets)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO web_password_resets (id, organizer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		r.ID[:], id, now.UnixMilli(), r.ExpiresAt.UnixMilli()); err != nil {
		return Reset{}, fmt.Errorf("request password reset: %w", err)
	}
	if err := ask(ctx, tx, r); err != nil {
		return Reset{}, fmt.Errorf("request password reset: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Reset{}, fmt.Errorf("request password reset: %w", err)
	}
	return r, nil
}

// resetTokenBytes is the entropy of a reset link: 256 bits.
const resetTokenBytes = 32

// IssueResetToken makes a fresh token for a reset that is still open and
// returns it with the reset: the link of the mail being written. Only the
// token's hash is stored, replacing any earlier one, so only the newest
// mail's link works. A used or expired reset is ErrResetInvalid.
func (a *Accounts) IssueResetToken(ctx context.Context, resetID uuid.UUID) (string, Reset, error) {
	var buf [resetTokenBytes]byte
	_, _ = rand.Read(buf[:]) // never fails since Go 1.24
	token := base64.RawURLEncoding.EncodeToString(buf[:])
	r := Reset{ID: resetID}
	var (
		org     []byte
		expires int64
	)
	err := a.db.QueryRowContext(ctx, `UPDATE web_password_resets SET token_hash = $1
		WHERE id = $2 AND used_at IS NULL AND expires_at > $3 RETURNING organizer_id, expires_at`,
		hashToken(token), resetID[:], a.now().UnixMilli()).Scan(&org, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return "", r, fmt.Errorf("reset %s: %w", resetID, ErrResetInvalid)
	}
	if err != nil {
		return "", r, fmt.Errorf("issue reset token: %w", err)
	}
	r.OrganizerID, r.ExpiresAt = uuid.UUID(org), time.UnixMilli(expires).UTC()
	if err := a.db.QueryRowContext(ctx, `SELECT email, display_name FROM organizers WHERE id = $1`, org).Scan(&r.Email, &r.Name); err != nil {
		return "", r, fmt.Errorf("issue reset token: %w", err)
	}
	return token, r, nil
}

// CheckReset returns the open reset a link's token belongs to, so the page
// asks for a new password only when the link can set one.
func (a *Accounts) CheckReset(ctx context.Context, token string) (Reset, error) {
	if !wellFormedToken(token) {
		return Reset{}, ErrResetInvalid
	}
	var (
		r       Reset
		id, org []byte
		expires int64
	)
	err := a.db.QueryRowContext(ctx, `SELECT r.id, r.organizer_id, r.expires_at, o.email, o.display_name
		FROM web_password_resets r JOIN organizers o ON o.id = r.organizer_id
		WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2`,
		hashToken(token), a.now().UnixMilli()).Scan(&id, &org, &expires, &r.Email, &r.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return Reset{}, ErrResetInvalid
	}
	if err != nil {
		return Reset{}, fmt.Errorf("check reset link: %w", err)
	}
	r.ID, r.OrganizerID, r.ExpiresAt = uuid.UUID(id), uuid.UUID(org), time.UnixMilli(expires).UTC()
	return r, nil
}

// ResetPassword sets a new password with a reset link's token, once: the
// reset is used up in the same transaction (a conditional update, so of
// two requests racing with one link, on one replica or two, one wins), the
// organizer's other open resets are closed and their sessions ended. A
// refused password changes nothing and leaves the link usable.
func (a *Accounts) ResetPassword(ctx context.Context, token, password string) (uuid.UUID, error) {
	if err := CheckPassword(password); err != nil {
		return uuid.Nil, err
	}
	if !wellFormedToken(token) {
		return uuid.Nil, ErrResetInvalid
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost())
	if err != nil {
		return uuid.Nil, fmt.Errorf("hash password: %w", err)
	}
	now := a.now().UnixMilli()
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return uuid.Nil, fmt.Errorf("reset password: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	var org []byte
	err = tx.QueryRowContext(ctx, `UPDATE web_password_resets SET used_at = $1
		WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING organizer_id`, now, hashToken(token)).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(org) != 16) {
		return uuid.Nil, ErrResetInvalid
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("reset password: %w", err)
	}
	id := uuid.UUID(org)
	if _, err := tx.ExecContext(ctx, `UPDATE web_password_resets SET used_at = $1 WHERE organizer_id = $2 AND used_at IS NULL`,
		now, org); err != nil {
		return uuid.Nil, fmt.Errorf("reset password: %w", err)
	}
	if err := a.setPasswordTx(ctx, tx, id, hash); err != nil {
		return uuid.Nil, err
	}
	if err := tx.Commit(); err != nil {
		return uuid.Nil, fmt.Errorf("reset password: %w", err)
	}
	return id, nil
}

func wellFormedToken(token string) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(b) == resetTokenBytes
}
