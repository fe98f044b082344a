package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"conference/hub/conferences"
	"conference/shared/ids"
)

// CreateOrganizer implements conferences.Service.
func (s *Service) CreateOrganizer(ctx context.Context, in conferences.NewOrganizer) (*conferences.Organizer, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("create organizer: %w", err)
	}
	o := &conferences.Organizer{ID: ids.New(), Email: in.Email, DisplayName: in.DisplayName, CreatedAt: fromMS(ms(s.now()))}
	err := s.change(ctx, "create organizer", func(tx *sql.Tx) ([]conferences.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO organizers (id, email, display_name, created_at) VALUES ($1, $2, $3, $4)`,
			o.ID[:], o.Email, o.DisplayName, ms(o.CreatedAt))
		return nil, uniqueViolation(err, "email "+o.Email)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// GetOrganizerByEmail implements conferences.Service.
func (s *Service) GetOrganizerByEmail(ctx context.Context, email string) (*conferences.Organizer, error) {
	email = conferences.NewOrganizer{Email: email}.Normalize().Email
	var (
		o       conferences.Organizer
		created int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT id, email, display_name, created_at FROM organizers WHERE email = $1`, email).
		Scan(scanID{&o.ID}, &o.Email, &o.DisplayName, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("organizer %q: %w", email, conferences.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get organizer %q: %w", email, err)
	}
	o.CreatedAt = fromMS(created)
	return &o, nil
}

// CountOrganizers implements conferences.Service.
func (s *Service) CountOrganizers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM organizers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count organizers: %w", err)
	}
	return n, nil
}
