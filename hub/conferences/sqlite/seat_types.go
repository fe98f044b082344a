package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/ids"
)

const seatTypeColumns = `id, conference_id, name, description, price_amount, price_currency, quota,
	sellable_at_kiosks, sell_past_allocation, kiosk_allocation_size, created_at, updated_at`

func scanSeatType(r scanner) (*conferences.SeatType, error) {
	var (
		st                conferences.SeatType
		kiosks, pastAlloc int
		created, updated  int64
	)
	if err := r.Scan(scanID{&st.ID}, scanID{&st.ConferenceID}, &st.Name, &st.Description, &st.Price.Amount, &st.Price.Currency,
		&st.Quota, &kiosks, &pastAlloc, &st.OnSite.KioskAllocationSize, &created, &updated); err != nil {
		return nil, err
	}
	st.OnSite.SellableAtKiosks, st.OnSite.SellPastAllocation = kiosks == 1, pastAlloc == 1
	st.CreatedAt, st.UpdatedAt = fromMS(created), fromMS(updated)
	return &st, nil
}

func listSeatTypes(ctx context.Context, q querier, conferenceID uuid.UUID) ([]*conferences.SeatType, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+seatTypeColumns+` FROM seat_types WHERE conference_id = $1 ORDER BY created_at, id`, conferenceID[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*conferences.SeatType
	for rows.Next() {
		st, err := scanSeatType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// AddSeatType implements conferences.Service.
func (s *Service) AddSeatType(ctx context.Context, organizerID, conferenceID uuid.UUID, in conferences.SeatTypeDetails) (*conferences.SeatType, error) {
	in = in.Normalize()
	var st *conferences.SeatType
	err := s.change(ctx, "add seat type", func(tx *sql.Tx) ([]conferences.Event, error) {
		c, err := ownedConference(ctx, tx, organizerID, conferenceID)
		if err != nil {
			return nil, err
		}
		if err := in.ValidateFor(c); err != nil {
			return nil, err
		}
		now := fromMS(ms(s.now()))
		st = &conferences.SeatType{ID: ids.New(), ConferenceID: c.ID, SeatTypeDetails: in, CreatedAt: now, UpdatedAt: now}
		_, err = tx.ExecContext(ctx, `INSERT INTO seat_types (`+seatTypeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			st.ID[:], st.ConferenceID[:], st.Name, st.Description, st.Price.Amount, st.Price.Currency, st.Quota,
			boolInt(st.OnSite.SellableAtKiosks), boolInt(st.OnSite.SellPastAllocation), st.OnSite.KioskAllocationSize,
			ms(st.CreatedAt), ms(st.UpdatedAt))
		if err != nil {
			return nil, uniqueViolation(err, "seat type name "+st.Name)
		}
		return []conferences.Event{conferences.SeatTypeCreated{SeatTypeInfo: st.Info()}}, nil
	})
	if err != nil {
		return nil, err
	}
	s.followSeatType(ctx, st)
	return st, nil
}

// UpdateSeatType implements conferences.Service. sold is asked before the
// write transaction begins: it reads through other pooled connections,
// and asked inside, it waited on connections that were themselves waiting
// for this transaction's write lock (a seat-type form hung for the busy
// timeout under load). The SeatsAvailability aggregate enforces the same
// rule again, in order, when it applies the lowered quota.
func (s *Service) UpdateSeatType(ctx context.Context, organizerID, conferenceID, seatTypeID uuid.UUID, in conferences.SeatTypeDetails, sold conferences.SoldCounter) (*conferences.SeatType, error) {
	in = in.Normalize()
	inUse := -1 // unknown: no counter
	if sold != nil {
		n, err := sold.SeatsSold(ctx, conferenceID, seatTypeID)
		if err != nil {
			return nil, fmt.Errorf("count seats sold of %s: %w", seatTypeID, err)
		}
		inUse = n
	}
	var st *conferences.SeatType
	err := s.change(ctx, "update seat type", func(tx *sql.Tx) ([]conferences.Event, error) {
		c, err := ownedConference(ctx, tx, organizerID, conferenceID)
		if err != nil {
			return nil, err
		}
		st, err = scanSeatType(tx.QueryRowContext(ctx, `SELECT `+seatTypeColumns+` FROM seat_types WHERE id = $1 AND conference_id = $2`,
			seatTypeID[:], c.ID[:]))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("seat type %s: %w", seatTypeID, conferences.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("read seat type %s: %w", seatTypeID, err)
		}
		if err := in.ValidateFor(c); err != nil {
			return nil, err
		}
		previous := st.Quota
		if in.Quota < previous {
			if inUse < 0 {
				return nil, &conferences.ValidationError{Field: "quota", Message: "cannot be lowered without knowing the seats sold"}
			}
			if in.Quota < inUse {
				return nil, fmt.Errorf("%w: %d seats of %q are sold or reserved, quota %d is too low",
					conferences.ErrQuotaBelowSold, inUse, st.Name, in.Quota)
			}
		}
		st.SeatTypeDetails = in
		st.UpdatedAt = fromMS(ms(s.now()))
		_, err = tx.ExecContext(ctx, `UPDATE seat_types SET name = $1, description = $2, price_amount = $3, price_currency = $4, quota = $5,
			sellable_at_kiosks = $6, sell_past_allocation = $7, kiosk_allocation_size = $8, updated_at = $9 WHERE id = $10`,
			st.Name, st.Description, st.Price.Amount, st.Price.Currency, st.Quota,
			boolInt(st.OnSite.SellableAtKiosks), boolInt(st.OnSite.SellPastAllocation), st.OnSite.KioskAllocationSize,
			ms(st.UpdatedAt), st.ID[:])
		if err != nil {
			return nil, uniqueViolation(err, "seat type name "+st.Name)
		}
		return []conferences.Event{conferences.SeatTypeUpdated{SeatTypeInfo: st.Info(), PreviousQuota: previous}}, nil
	})
	if err != nil {
		return nil, err
	}
	s.followSeatType(ctx, st)
	return st, nil
}

// ListSeatTypes implements conferences.Service.
func (s *Service) ListSeatTypes(ctx context.Context, organizerID, conferenceID uuid.UUID) ([]*conferences.SeatType, error) {
	c, err := ownedConference(ctx, s.db, organizerID, conferenceID)
	if err != nil {
		return nil, fmt.Errorf("list seat types: %w", err)
	}
	out, err := listSeatTypes(ctx, s.db, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list seat types of %s: %w", c.ID, err)
	}
	return out, nil
}

// SeatTypesOf returns every seat type of a conference, published or not,
// in creation order. It checks no tenant: it is the hub's own read for
// bringing quotas to the inventory, never an answer to a request.
func (s *Service) SeatTypesOf(ctx context.Context, conferenceID uuid.UUID) ([]*conferences.SeatType, error) {
	out, err := listSeatTypes(ctx, s.db, conferenceID)
	if err != nil {
		return nil, fmt.Errorf("list seat types of %s: %w", conferenceID, err)
	}
	return out, nil
}

// ListPublishedSeatTypes implements conferences.Service.
func (s *Service) ListPublishedSeatTypes(ctx context.Context, conferenceID uuid.UUID) ([]*conferences.SeatType, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM conferences WHERE id = $1 AND published = 1`, conferenceID[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list seat types: conference %s: %w", conferenceID, conferences.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("list seat types of %s: %w", conferenceID, err)
	}
	out, err := listSeatTypes(ctx, s.db, conferenceID)
	if err != nil {
		return nil, fmt.Errorf("list seat types of %s: %w", conferenceID, err)
	}
	return out, nil
}
