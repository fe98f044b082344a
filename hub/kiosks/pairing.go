package kiosks

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// CancelPairing withdraws a kiosk's outstanding pairing code: from now on
// it pairs nothing, as if it had expired. Cancelling a code already used,
// expired or cancelled changes nothing; another tenant's kiosk is
// ErrNotFound.
func (r *Registry) CancelPairing(ctx context.Context, organizerID uuid.UUID, kioskID string) error {
	if _, err := r.Get(ctx, organizerID, kioskID); err != nil {
		return fmt.Errorf("cancel pairing: %w", err)
	}
	if _, err := r.db.ExecContext(ctx, `UPDATE kiosks SET pairing_code_hash = NULL, pairing_expires_at = NULL
		WHERE id = $1 AND organizer_id = $2 AND pairing_code_hash IS NOT NULL`, kioskID, organizerID[:]); err != nil {
		return fmt.Errorf("cancel pairing of kiosk %s: %w", kioskID, err)
	}
	return nil
}

// PairingCancelled reports a kiosk that was never paired and has no code
// to pair with: the organizer cancelled it.
func (k Kiosk) PairingCancelled() bool {
	return !k.Paired() && !k.Revoked() && k.PairingExpiresAt.IsZero()
}

// All lists every kiosk of every organizer, oldest first, for the hub's
// own upkeep (naming kiosks in the event log); organizer pages use List.
func (r *Registry) All(ctx context.Context) ([]Kiosk, error) {
	out, err := r.kiosksWhere(ctx, `1 = 1`)
	if err != nil {
		return nil, fmt.Errorf("list every kiosk: %w", err)
	}
	return out, nil
}
