package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/ids"
	"conference/shared/registrations"
)

const promoCodeColumns = `id, conference_id, code, description, kind, percent, amount, currency, seat_type_id,
	max_uses, valid_from, valid_until, created_at, updated_at`

func scanPromoCode(r scanner) (*conferences.PromoCode, error) {
	var (
		p                conferences.PromoCode
		kind             string
		seatType         []byte
		from, until      sql.NullInt64
		created, updated int64
	)
	if err := r.Scan(scanID{&p.ID}, scanID{&p.ConferenceID}, &p.Code, &p.Description, &kind, &p.Percent,
		&p.Amount.Amount, &p.Amount.Currency, &seatType, &p.MaxUses, &from, &until, &created, &updated); err != nil {
		return nil, err
	}
	p.Kind = registrations.DiscountKind(kind)
	if len(seatType) == 16 {
		copy(p.SeatType[:], seatType)
	}
	if from.Valid {
		p.ValidFrom = fromMS(from.Int64)
	}
	if until.Valid {
		p.ValidUntil = fromMS(until.Int64)
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return &p, nil
}

func listPromoCodes(ctx context.Context, q querier, conferenceID uuid.UUID) ([]*conferences.PromoCode, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+promoCodeColumns+` FROM promo_codes WHERE conference_id = $1 ORDER BY code`, conferenceID[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*conferences.PromoCode
	for rows.Next() {
		p, err := scanPromoCode(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// checkPromoSeatType refuses a seat type that is not the conference's.
func checkPromoSeatType(ctx context.Context, tx *sql.Tx, conferenceID, seatType uuid.UUID) error {
	if seatType == uuid.Nil {
		return nil
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM seat_types WHERE id = $1 AND conference_id = $2`, seatType[:], conferenceID[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return &conferences.ValidationError{Field: "seat_type", Message: "is not a seat type of this conference"}
	}
	return err
}

func nullSeatType(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id[:]
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// AddPromoCode implements conferences.Service.
func (s *Service) AddPromoCode(ctx context.Context, organizerID, conferenceID uuid.UUID, in conferences.PromoCodeDetails) (*conferences.PromoCode, error) {
	in = in.Normalize()
	var p *conferences.PromoCode
	err := s.change(ctx, "add promo code", func(tx *sql.Tx) ([]conferences.Event, error) {
		c, err := ownedConference(ctx, tx, organizerID, conferenceID)
		if err != nil {
			return nil, err
		}
		if err := in.ValidateFor(c); err != nil {
			return nil, err
		}
		if err := checkPromoSeatType(ctx, tx, c.ID, in.SeatType); err != nil {
			return nil, err
		}
		now := fromMS(ms(s.now()))
		p = &conferences.PromoCode{ID: ids.New(), ConferenceID: c.ID, PromoCodeDetails: in, CreatedAt: now, UpdatedAt: now}
		_, err = tx.ExecContext(ctx, `INSERT INTO promo_codes (`+promoCodeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			p.ID[:], p.ConferenceID[:], p.Code, p.Description, string(p.Kind), p.Percent, p.Amount.Amount, p.Amount.Currency,
			nullSeatType(p.SeatType), p.MaxUses, nullTime(p.ValidFrom), nullTime(p.ValidUntil), ms(p.CreatedAt), ms(p.UpdatedAt))
		if err != nil {
			return nil, uniqueViolation(err, "promo code "+p.Code)
		}
		return []conferences.Event{conferences.PromoCodeCreated{PromoCodeInfo: p.Info()}}, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func ownedPromoCode(ctx context.Context, tx *sql.Tx, organizerID, conferenceID, promoCodeID uuid.UUID) (*conferences.Conference, *conferences.PromoCode, error) {
	c, err := ownedConference(ctx, tx, organizerID, conferenceID)
	if err != nil {
		return nil, nil, err
	}
	p, err := scanPromoCode(tx.QueryRowContext(ctx, `SELECT `+promoCodeColumns+` FROM promo_codes WHERE id = $1 AND conference_id = $2`,
		promoCodeID[:], c.ID[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("promo code %s: %w", promoCodeID, conferences.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read promo code %s: %w", promoCodeID, err)
	}
	return c, p, nil
}

// UpdatePromoCode implements conferences.Service.
func (s *Service) UpdatePromoCode(ctx context.Context, organizerID, conferenceID, promoCodeID uuid.UUID, in conferences.PromoCodeDetails) (*conferences.PromoCode, error) {
	in = in.Normalize()
	var p *conferences.PromoCode
	err := s.change(ctx, "update promo code", func(tx *sql.Tx) ([]conferences.Event, error) {
		c, current, err := ownedPromoCode(ctx, tx, organizerID, conferenceID, promoCodeID)
		if err != nil {
			return nil, err
		}
		if err := in.ValidateFor(c); err != nil {
			return nil, err
		}
		if in.Code != current.Code {
			return nil, &conferences.ValidationError{Field: "code", Message: "cannot change; remove the promo code and add a new one"}
		}
		if err := checkPromoSeatType(ctx, tx, c.ID, in.SeatType); err != nil {
			return nil, err
		}
		p = current
		p.PromoCodeDetails, p.UpdatedAt = in, fromMS(ms(s.now()))
		_, err = tx.ExecContext(ctx, `UPDATE promo_codes SET description = $1, kind = $2, percent = $3, amount = $4, currency = $5,
			seat_type_id = $6, max_uses = $7, valid_from = $8, valid_until = $9, updated_at = $10 WHERE id = $11`,
			p.Description, string(p.Kind), p.Percent, p.Amount.Amount, p.Amount.Currency, nullSeatType(p.SeatType),
			p.MaxUses, nullTime(p.ValidFrom), nullTime(p.ValidUntil), ms(p.UpdatedAt), p.ID[:])
		if err != nil {
			return nil, err
		}
		return []conferences.Event{conferences.PromoCodeUpdated{PromoCodeInfo: p.Info()}}, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// RemovePromoCode implements conferences.Service.
func (s *Service) RemovePromoCode(ctx context.Context, organizerID, conferenceID, promoCodeID uuid.UUID) error {
	return s.change(ctx, "remove promo code", func(tx *sql.Tx) ([]conferences.Event, error) {
		_, p, err := ownedPromoCode(ctx, tx, organizerID, conferenceID, promoCodeID)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM promo_codes WHERE id = $1`, p.ID[:]); err != nil {
			return nil, err
		}
		return []conferences.Event{conferences.PromoCodeRemoved{ConferenceID: p.ConferenceID, PromoCodeID: p.ID, Code: p.Code}}, nil
	})
}

// ListPromoCodes implements conferences.Service.
func (s *Service) ListPromoCodes(ctx context.Context, organizerID, conferenceID uuid.UUID) ([]*conferences.PromoCode, error) {
	c, err := ownedConference(ctx, s.db, organizerID, conferenceID)
	if err != nil {
		return nil, fmt.Errorf("list promo codes: %w", err)
	}
	out, err := listPromoCodes(ctx, s.db, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list promo codes of %s: %w", c.ID, err)
	}
	return out, nil
}

// GetPublishedOffering implements conferences.Service. It reads in one
// transaction, so prices, codes and the window belong together.
func (s *Service) GetPublishedOffering(ctx context.Context, conferenceID uuid.UUID) (*conferences.Offering, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("get offering of %s: %w", conferenceID, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	c, err := scanConference(tx.QueryRowContext(ctx, `SELECT `+conferenceColumns+` FROM conferences WHERE id = $1 AND published = 1`, conferenceID[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get offering: conference %s: %w", conferenceID, conferences.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get offering of %s: %w", conferenceID, err)
	}
	o := &conferences.Offering{Conference: c}
	if o.SeatTypes, err = listSeatTypes(ctx, tx, c.ID); err != nil {
		return nil, fmt.Errorf("get offering of %s: %w", conferenceID, err)
	}
	if o.PromoCodes, err = listPromoCodes(ctx, tx, c.ID); err != nil {
		return nil, fmt.Errorf("get offering of %s: %w", conferenceID, err)
	}
	return o, nil
}
