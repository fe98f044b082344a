package kiosks

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"conference/badges/token"
)

const kioskColumns = `id, organizer_id, conference_id, name, created_at, pairing_expires_at, paired_at, revoked_at,
	last_seen_at, down_checkpoint, up_acked, pending_uploads, software,
	digest_checked_at, digest_position, digest_differs, differs_since`

type scanner interface{ Scan(dest ...any) error }

func scanKiosk(s scanner) (Kiosk, error) {
	var (
		k                                  Kiosk
		org, conf                          []byte
		created                            int64
		expires, paired, revoked, lastSeen sql.NullInt64
		checked, since                     sql.NullInt64
		differs                            string
	)
	if err := s.Scan(&k.ID, &org, &conf, &k.Name, &created, &expires, &paired, &revoked, &lastSeen,
		&k.DownCheckpoint, &k.UpAcked, &k.PendingUploads, &k.Software,
		&checked, &k.Convergence.Position, &differs, &since); err != nil {
		return k, err
	}
	k.Convergence.CheckedAt, k.Convergence.DiffersSince = fromMS(checked), fromMS(since)
	if differs != "" {
		k.Convergence.Differs = strings.Split(differs, ",")
	}
	k.OrganizerID, k.ConferenceID = uuid.UUID(org), uuid.UUID(conf)
	k.CreatedAt = fromMS(sql.NullInt64{Int64: created, Valid: true})
	k.PairingExpiresAt, k.PairedAt, k.RevokedAt, k.LastSeen = fromMS(expires), fromMS(paired), fromMS(revoked), fromMS(lastSeen)
	return k, nil
}

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// Get returns one of the organizer's kiosks.
func (r *Registry) Get(ctx context.Context, organizerID uuid.UUID, kioskID string) (Kiosk, error) {
	k, err := scanKiosk(r.db.QueryRowContext(ctx, `SELECT `+kioskColumns+` FROM kiosks WHERE id = $1 AND organizer_id = $2`,
		kioskID, organizerID[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("kiosk %s: %w", kioskID, ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("read kiosk %s: %w", kioskID, err)
	}
	return k, r.fillAllocations(ctx, &k)
}

// List returns the organizer's kiosks of one conference, oldest first,
// with what the sync server last heard from each.
func (r *Registry) List(ctx context.Context, organizerID, conferenceID uuid.UUID) ([]Kiosk, error) {
	out, err := r.kiosksWhere(ctx, `organizer_id = $1 AND conference_id = $2`, organizerID[:], conferenceID[:])
	if err != nil {
		return nil, fmt.Errorf("list kiosks of conference %s: %w", conferenceID, err)
	}
	for i := range out {
		if err := r.fillAllocations(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Paired lists every paired kiosk that is not revoked, of every organizer:
// the operator's view (metrics), never shown to an organizer.
func (r *Registry) Paired(ctx context.Context) ([]Kiosk, error) {
	out, err := r.kiosksWhere(ctx, `paired_at IS NOT NULL AND revoked_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("list paired kiosks: %w", err)
	}
	return out, nil
}

// kiosksWhere reads the kiosks a condition selects, oldest first.
func (r *Registry) kiosksWhere(ctx context.Context, where string, args ...any) ([]Kiosk, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT `+kioskColumns+` FROM kiosks WHERE `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Kiosk
	for rows.Next() {
		k, err := scanKiosk(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (r *Registry) fillAllocations(ctx context.Context, k *Kiosk) error {
	if r.cfg.AllocationsOf == nil {
		return nil
	}
	a, err := r.cfg.AllocationsOf(ctx, k.ConferenceID, k.ID)
	if err != nil {
		return fmt.Errorf("allocations of kiosk %s: %w", k.ID, err)
	}
	k.Allocations = a
	return nil
}

// Certificate returns the certificate issued to a paired kiosk, so other
// kiosks can verify the badges it signs.
func (r *Registry) Certificate(ctx context.Context, kioskID string) (token.Certificate, error) {
	var text sql.NullString
	err := r.db.QueryRowContext(ctx, `SELECT certificate FROM kiosks WHERE id = $1`, kioskID).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !text.Valid) {
		return token.Certificate{}, fmt.Errorf("certificate of kiosk %s: %w", kioskID, ErrNotFound)
	}
	if err != nil {
		return token.Certificate{}, fmt.Errorf("certificate of kiosk %s: %w", kioskID, err)
	}
	var c token.Certificate
	if err := c.UnmarshalText([]byte(text.String)); err != nil {
		return c, fmt.Errorf("certificate of kiosk %s: %w", kioskID, err)
	}
	return c, nil
}

// SigningKey returns the hub's Ed25519 badge-signing key, creating it on
// first use. The key is stored in the hub database: whoever can read the
// database file can sign badges.
func (r *Registry) SigningKey(ctx context.Context) (ed25519.PrivateKey, error) {
	r.keyMu.Lock()
	defer r.keyMu.Unlock()
	if r.key != nil {
		return r.key, nil
	}
	load := func() (ed25519.PrivateKey, error) {
		var b []byte
		err := r.db.QueryRowContext(ctx, `SELECT private_key FROM hub_signing_keys ORDER BY generation DESC LIMIT 1`).Scan(&b)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load hub signing key: %w", err)
		}
		return ed25519.PrivateKey(b), nil
	}
	key, err := load()
	if err != nil {
		return nil, err
	}
	if key == nil {
		_, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, fmt.Errorf("generate hub signing key: %w", err)
		}
		id := token.KeyIDOf(priv.Public().(ed25519.PublicKey)).String()
		// Another process (a replica) may race us to the first key;
		// whichever row lands first wins and both read it back.
		if _, err := r.db.ExecContext(ctx, `INSERT INTO hub_signing_keys (key_id, private_key, created_at, generation)
			VALUES ($1, $2, $3, 1) ON CONFLICT (generation) DO NOTHING`, id, []byte(priv), r.now().UnixMilli()); err != nil {
			return nil, fmt.Errorf("store hub signing key: %w", err)
		}
		if key, err = load(); err != nil || key == nil {
			return nil, fmt.Errorf("reload hub signing key: %w", err)
		}
	}
	r.key = key
	return key, nil
}

// PublicKey is the hub's badge-signing public key.
func (r *Registry) PublicKey(ctx context.Context) (ed25519.PublicKey, error) {
	k, err := r.SigningKey(ctx)
	if err != nil {
		return nil, err
	}
	return k.Public().(ed25519.PublicKey), nil
}
