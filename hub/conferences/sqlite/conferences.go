package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/ids"
	"conference/shared/sqldb"
)

const conferenceColumns = `id, organizer_id, slug, name, tagline, description, venue, contact_email, time_zone,
	starts_at, ends_at, reservation_window_minutes, currency, published, created_at, updated_at`

// querier is what both *sql.DB and *sql.Tx offer for reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type scanner interface{ Scan(dest ...any) error }

func scanConference(r scanner) (*conferences.Conference, error) {
	var (
		c                          conferences.Conference
		starts, ends, created, upd int64
		windowMinutes, published   int
	)
	if err := r.Scan(scanID{&c.ID}, scanID{&c.OrganizerID}, &c.Slug, &c.Name, &c.Tagline, &c.Description, &c.Venue,
		&c.ContactEmail, &c.TimeZone, &starts, &ends, &windowMinutes, &c.Currency, &published, &created, &upd); err != nil {
		return nil, err
	}
	c.StartsAt, c.EndsAt = fromMS(starts), fromMS(ends)
	c.ReservationWindow = time.Duration(windowMinutes) * time.Minute
	c.Published = published == 1
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(upd)
	return &c, nil
}

// ownedConference loads a conference of organizerID; another tenant's
// conference is ErrNotFound, exactly like a missing one.
func ownedConference(ctx context.Context, q querier, organizerID, id uuid.UUID) (*conferences.Conference, error) {
	c, err := scanConference(q.QueryRowContext(ctx, `SELECT `+conferenceColumns+` FROM conferences WHERE id = $1 AND organizer_id = $2`,
		id[:], organizerID[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("conference %s: %w", id, conferences.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read conference %s: %w", id, err)
	}
	return c, nil
}

func listConferences(ctx context.Context, q querier, where string, args ...any) ([]*conferences.Conference, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+conferenceColumns+` FROM conferences WHERE `+where+` ORDER BY starts_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*conferences.Conference
	for rows.Next() {
		c, err := scanConference(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateConference implements conferences.Service.
func (s *Service) CreateConference(ctx context.Context, organizerID uuid.UUID, in conferences.ConferenceDetails) (*conferences.Conference, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("create conference: %w", err)
	}
	now := fromMS(ms(s.now()))
	c := &conferences.Conference{ID: ids.New(), OrganizerID: organizerID, ConferenceDetails: in, CreatedAt: now, UpdatedAt: now}
	err := s.change(ctx, "create conference", func(tx *sql.Tx) ([]conferences.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO conferences (`+conferenceColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			c.ID[:], c.OrganizerID[:], c.Slug, c.Name, c.Tagline, c.Description, c.Venue, c.ContactEmail, c.TimeZone,
			ms(c.StartsAt), ms(c.EndsAt), int(c.ReservationWindow/time.Minute), c.Currency, boolInt(c.Published),
			ms(c.CreatedAt), ms(c.UpdatedAt))
		if isForeignKey(err) {
			return nil, fmt.Errorf("organizer %s: %w", organizerID, conferences.ErrNotFound)
		}
		if err != nil {
			return nil, uniqueViolation(err, "slug "+c.Slug)
		}
		return []conferences.Event{conferences.ConferenceCreated{ConferenceInfo: c.Info()}}, nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateConference implements conferences.Service.
func (s *Service) UpdateConference(ctx context.Context, organizerID, conferenceID uuid.UUID, in conferences.ConferenceDetails) (*conferences.Conference, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("update conference: %w", err)
	}
	var c *conferences.Conference
	err := s.change(ctx, "update conference", func(tx *sql.Tx) ([]conferences.Event, error) {
		var err error
		if c, err = ownedConference(ctx, tx, organizerID, conferenceID); err != nil {
			return nil, err
		}
		if in.Currency != c.Currency {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM seat_types WHERE conference_id = $1`, c.ID[:]).Scan(&n); err != nil {
				return nil, fmt.Errorf("count seat types: %w", err)
			}
			if n > 0 {
				return nil, &conferences.ValidationError{Field: "currency", Message: "cannot change once the conference has seat types"}
			}
		}
		c.ConferenceDetails = in
		c.UpdatedAt = fromMS(ms(s.now()))
		_, err = tx.ExecContext(ctx, `UPDATE conferences SET slug = $1, name = $2, tagline = $3, description = $4, venue = $5,
			contact_email = $6, time_zone = $7, starts_at = $8, ends_at = $9, reservation_window_minutes = $10, currency = $11, updated_at = $12
			WHERE id = $13`,
			c.Slug, c.Name, c.Tagline, c.Description, c.Venue, c.ContactEmail, c.TimeZone, ms(c.StartsAt), ms(c.EndsAt),
			int(c.ReservationWindow/time.Minute), c.Currency, ms(c.UpdatedAt), c.ID[:])
		if err != nil {
			return nil, uniqueViolation(err, "slug "+c.Slug)
		}
		return []conferences.Event{conferences.ConferenceUpdated{ConferenceInfo: c.Info()}}, nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Publish implements conferences.Service.
func (s *Service) Publish(ctx context.Context, organizerID, conferenceID uuid.UUID) (*conferences.Conference, error) {
	return s.setPublished(ctx, "publish conference", organizerID, conferenceID, true)
}

// Unpublish implements conferences.Service.
func (s *Service) Unpublish(ctx context.Context, organizerID, conferenceID uuid.UUID) (*conferences.Conference, error) {
	return s.setPublished(ctx, "unpublish conference", organizerID, conferenceID, false)
}

func (s *Service) setPublished(ctx context.Context, op string, organizerID, conferenceID uuid.UUID, published bool) (*conferences.Conference, error) {
	if published {
		// The sale opens only once the inventory knows every quota: an
		// order placed the moment the conference shows must not find a
		// seat type the inventory has not heard of (it would reserve
		// nothing of it). A seat type added from here on brings its own.
		if _, err := ownedConference(ctx, s.db, organizerID, conferenceID); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if err := s.syncInventory(ctx, conferenceID); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	var c *conferences.Conference
	err := s.change(ctx, op, func(tx *sql.Tx) ([]conferences.Event, error) {
		var err error
		if c, err = ownedConference(ctx, tx, organizerID, conferenceID); err != nil {
			return nil, err
		}
		if c.Published == published {
			return nil, nil
		}
		c.Published, c.UpdatedAt = published, fromMS(ms(s.now()))
		if _, err := tx.ExecContext(ctx, `UPDATE conferences SET published = $1, updated_at = $2 WHERE id = $3`,
			boolInt(published), ms(c.UpdatedAt), c.ID[:]); err != nil {
			return nil, err
		}
		if published {
			return []conferences.Event{conferences.ConferencePublished{ConferenceID: c.ID, Slug: c.Slug}}, nil
		}
		return []conferences.Event{conferences.ConferenceUnpublished{ConferenceID: c.ID, Slug: c.Slug}}, nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// GetConference implements conferences.Service.
func (s *Service) GetConference(ctx context.Context, organizerID, conferenceID uuid.UUID) (*conferences.Conference, error) {
	c, err := ownedConference(ctx, s.db, organizerID, conferenceID)
	if err != nil {
		return nil, fmt.Errorf("get conference: %w", err)
	}
	return c, nil
}

// ListConferences implements conferences.Service.
func (s *Service) ListConferences(ctx context.Context, organizerID uuid.UUID) ([]*conferences.Conference, error) {
	out, err := listConferences(ctx, s.db, `organizer_id = $1`, organizerID[:])
	if err != nil {
		return nil, fmt.Errorf("list conferences of %s: %w", organizerID, err)
	}
	return out, nil
}

// ListPublished implements conferences.Service.
func (s *Service) ListPublished(ctx context.Context) ([]*conferences.Conference, error) {
	out, err := listConferences(ctx, s.db, `published = 1`)
	if err != nil {
		return nil, fmt.Errorf("list published conferences: %w", err)
	}
	return out, nil
}

// GetPublishedBySlug implements conferences.Service.
func (s *Service) GetPublishedBySlug(ctx context.Context, slug string) (*conferences.Conference, error) {
	slug = strings.ToLower(strings.TrimSpace(slug))
	c, err := scanConference(s.db.QueryRowContext(ctx, `SELECT `+conferenceColumns+` FROM conferences WHERE slug = $1 AND published = 1`, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get conference %q: %w", slug, conferences.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get conference %q: %w", slug, err)
	}
	return c, nil
}

func isForeignKey(err error) bool { return sqldb.IsForeignKeyViolation(err) }
