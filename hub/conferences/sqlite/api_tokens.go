package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/ids"
	"conference/shared/sqldb"
)

// defaultTokenName names a token issued without one (the demo, tests).
const defaultTokenName = "API token"

// IssueAPIToken implements conferences.Service.
func (s *Service) IssueAPIToken(ctx context.Context, organizerID uuid.UUID) (string, error) {
	_, token, err := s.CreateAPIToken(ctx, organizerID, defaultTokenName)
	return token, err
}

// CreateAPIToken implements conferences.Service.
func (s *Service) CreateAPIToken(ctx context.Context, organizerID uuid.UUID, name string) (*conferences.APIToken, string, error) {
	name, err := conferences.NormalizeAPITokenName(name)
	if err != nil {
		return nil, "", fmt.Errorf("create API token: %w", err)
	}
	token, hash := conferences.NewAPIToken()
	t := &conferences.APIToken{ID: ids.New(), OrganizerID: organizerID, Name: name, CreatedAt: fromMS(ms(s.now()))}
	err = s.change(ctx, "create API token", func(tx *sql.Tx) ([]conferences.Event, error) {
		// The organizer must exist: a foreign key failure would not say
		// which row was missing.
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, token_hash, organizer_id, name, created_at)
			SELECT $1, $2, id, $3, $4 FROM organizers WHERE id = $5`,
			t.ID[:], hash, t.Name, ms(t.CreatedAt), organizerID[:])
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return nil, errors.Join(err, fmt.Errorf("organizer %s: %w", organizerID, conferences.ErrNotFound))
		}
		return nil, nil
	})
	if err != nil {
		return nil, "", err
	}
	return t, token, nil
}

const apiTokenColumns = `id, organizer_id, name, created_at, last_used_at, revoked_at`

func scanAPIToken(r scanner) (*conferences.APIToken, error) {
	var (
		t             conferences.APIToken
		created       int64
		used, revoked sql.NullInt64
	)
	if err := r.Scan(scanID{&t.ID}, scanID{&t.OrganizerID}, &t.Name, &created, &used, &revoked); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMS(created)
	if used.Valid {
		t.LastUsedAt = fromMS(used.Int64)
	}
	if revoked.Valid {
		t.RevokedAt = fromMS(revoked.Int64)
	}
	return &t, nil
}

// ListAPITokens implements conferences.Service.
func (s *Service) ListAPITokens(ctx context.Context, organizerID uuid.UUID) ([]*conferences.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE organizer_id = $1
		ORDER BY created_at DESC, id DESC`, organizerID[:])
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	var out []*conferences.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken implements conferences.Service. One conditional
// statement: two replicas revoking at once record one time.
func (s *Service) RevokeAPIToken(ctx context.Context, organizerID, tokenID uuid.UUID) (*conferences.APIToken, error) {
	var t *conferences.APIToken
	err := s.change(ctx, "revoke API token", func(tx *sql.Tx) ([]conferences.Event, error) {
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1
			WHERE id = $2 AND organizer_id = $3 AND revoked_at IS NULL`, ms(s.now()), tokenID[:], organizerID[:]); err != nil {
			return nil, err
		}
		var err error
		t, err = scanAPIToken(tx.QueryRowContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens
			WHERE id = $1 AND organizer_id = $2`, tokenID[:], organizerID[:]))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("API token %s: %w", tokenID, conferences.ErrNotFound)
		}
		return nil, err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Authenticate implements conferences.Service. The last-used time is
// written only when the stored one is older than LastUsedResolution, with a
// statement that re-checks it, so a client sending many requests a second
// costs one write a minute, and two replicas seeing the same stale time
// write it once between them.
func (s *Service) Authenticate(ctx context.Context, token string) (*conferences.Organizer, error) {
	if !conferences.WellFormedAPIToken(token) {
		return nil, fmt.Errorf("authenticate: %w", conferences.ErrUnauthorized)
	}
	var (
		o       conferences.Organizer
		created int64
		used    sql.NullInt64
	)
	hash := conferences.HashAPIToken(token)
	err := s.db.QueryRowContext(ctx, `SELECT o.id, o.email, o.display_name, o.created_at, t.last_used_at
		FROM api_tokens t JOIN organizers o ON o.id = t.organizer_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
		hash).Scan(scanID{&o.ID}, &o.Email, &o.DisplayName, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("authenticate: %w", conferences.ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	o.CreatedAt = fromMS(created)
	now := ms(s.now())
	stale := now - conferences.LastUsedResolution.Milliseconds()
	if !used.Valid || used.Int64 <= stale {
		// On SQLite the statement runs in the store's group commit, which
		// the request's cancellation must not reach.
		wctx := context.WithoutCancel(ctx)
		err := s.store.Write(ctx, func(tx sqldb.Tx) error {
			_, err := tx.ExecContext(wctx, `UPDATE api_tokens SET last_used_at = $1
				WHERE token_hash = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`, now, hash, stale)
			return err
		})
		if err != nil {
			// The request is authenticated either way; the time is
			// noted by the next one.
			s.logger().Warn("API token used; last-used time not recorded", "organizer", o.ID, "err", err)
		}
	}
	return &o, nil
}
