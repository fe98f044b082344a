package kiosk

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"conference/badges/token"
)

// Identity is who the kiosk is, written by pairing and read at start.
type Identity struct {
	KioskID     string
	HubURL      string
	Conferences []uuid.UUID
	// Credential is the device credential the sync handshake presents.
	Credential string
	// PINHash is the bcrypt hash of the staff PIN (see HashPIN); empty
	// until a PIN is set.
	PINHash []byte
	// SigningKey signs badge tokens; Certificate is the hub's statement
	// that its public key may. Without both, badges print without a QR.
	SigningKey  ed25519.PrivateKey
	Certificate *token.Certificate
	// HubPublicKey verifies hub-signed badges and kiosk certificates.
	HubPublicKey ed25519.PublicKey
}

// Validate checks an identity before it is stored.
func (id Identity) Validate() error {
	switch {
	case strings.TrimSpace(id.KioskID) == "" || len(id.KioskID) > token.MaxIDLen:
		return fmt.Errorf("identity: kiosk id must be 1 to %d bytes", token.MaxIDLen)
	case id.KioskID == unpairedNode || id.KioskID == "hub":
		return fmt.Errorf("identity: kiosk id %q is reserved", id.KioskID)
	case len(id.Conferences) == 0:
		return errors.New("identity: at least one conference is required")
	case id.SigningKey != nil && len(id.SigningKey) != ed25519.PrivateKeySize:
		return fmt.Errorf("identity: signing key has %d bytes, want %d", len(id.SigningKey), ed25519.PrivateKeySize)
	case id.HubPublicKey != nil && len(id.HubPublicKey) != ed25519.PublicKeySize:
		return fmt.Errorf("identity: hub public key has %d bytes, want %d", len(id.HubPublicKey), ed25519.PublicKeySize)
	}
	for _, c := range id.Conferences {
		if c == uuid.Nil {
			return errors.New("identity: conference id is nil")
		}
	}
	if id.Certificate != nil {
		if id.SigningKey == nil || !id.Certificate.PublicKey.Equal(id.SigningKey.Public()) {
			return errors.New("identity: certificate is not for the signing key")
		}
		if id.HubPublicKey == nil {
			return errors.New("identity: a certificate needs the hub public key")
		}
		if err := id.Certificate.CheckSignature(id.HubPublicKey); err != nil {
			return fmt.Errorf("identity: certificate: %w", err)
		}
	}
	return nil
}

// HashPIN returns the bcrypt hash of a staff PIN: 4 to 12 digits.
func HashPIN(pin string) ([]byte, error) {
	if len(pin) < 4 || len(pin) > 12 || strings.Trim(pin, "0123456789") != "" {
		return nil, errors.New("PIN must be 4 to 12 digits")
	}
	return bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
}

// Errors of CheckPIN.
var (
	ErrWrongPIN = errors.New("wrong PIN")
	ErrNoPIN    = errors.New("no staff PIN set")
)

// CheckPIN unlocks the staff UI. The UI rate-limits attempts.
func (k *Kiosk) CheckPIN(pin string) error {
	k.idMu.RLock()
	hash := k.identity.PINHash
	k.idMu.RUnlock()
	if len(hash) == 0 {
		return ErrNoPIN
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pin)) != nil {
		return ErrWrongPIN
	}
	return nil
}

// SetPIN stores a new staff PIN.
func (k *Kiosk) SetPIN(ctx context.Context, pin string) error {
	hash, err := HashPIN(pin)
	if err != nil {
		return err
	}
	id, ok := k.Identity()
	if !ok {
		return ErrNotPaired
	}
	id.PINHash = hash
	return k.SaveIdentity(ctx, id)
}

// Identity returns the stored identity; ok is false before pairing.
func (k *Kiosk) Identity() (Identity, bool) {
	k.idMu.RLock()
	defer k.idMu.RUnlock()
	return k.identity, k.paired
}

// SaveIdentity stores id (pairing, a new certificate, a changed PIN). A
// kiosk that already recorded facts under one kiosk id refuses another. A
// first pairing of an open kiosk takes effect at the next start (actions
// fail with ErrRestartRequired until then), since the store stamps the
// origin it was opened with.
func (k *Kiosk) SaveIdentity(ctx context.Context, id Identity) error {
	if err := id.Validate(); err != nil {
		return err
	}
	signer, verifier, err := k.trust(id)
	if err != nil {
		return err
	}
	node := k.store.Node()
	if id.KioskID != node && node != unpairedNode {
		if last := k.lastOwnSeq(); last > 0 {
			return fmt.Errorf("identity: kiosk %s has recorded %d events; it cannot become %s (use a new database)", node, last, id.KioskID)
		}
	}
	confs, _ := json.Marshal(id.Conferences)
	var cert string
	if id.Certificate != nil {
		text, err := id.Certificate.MarshalText()
		if err != nil {
			return fmt.Errorf("identity: %w", err)
		}
		cert = string(text)
	}
	_, err = k.store.DB().ExecContext(ctx, `INSERT INTO kiosk_identity
		(singleton, kiosk_id, hub_url, conferences, credential, pin_hash, signing_key, certificate, hub_public_key, updated_at)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (singleton) DO UPDATE SET kiosk_id = excluded.kiosk_id, hub_url = excluded.hub_url,
		conferences = excluded.conferences, credential = excluded.credential, pin_hash = excluded.pin_hash,
		signing_key = excluded.signing_key, certificate = excluded.certificate,
		hub_public_key = excluded.hub_public_key, updated_at = excluded.updated_at`,
		id.KioskID, id.HubURL, string(confs), id.Credential, nullBytes(id.PINHash), nullBytes(id.SigningKey),
		cert, nullBytes(id.HubPublicKey), k.now().UnixMilli())
	if err != nil {
		return k.recorded("save identity", err)
	}
	k.idMu.Lock()
	k.identity, k.paired, k.signer, k.verifier = id, true, signer, verifier
	k.restart = id.KioskID != node
	k.idMu.Unlock()
	return nil
}

// TrustCertificate lets this kiosk verify version 1 badges (older kiosk
// builds) signed by another kiosk the hub certified. Kiosk badges of this
// build carry their certificate and need no such call. Not stored.
func (k *Kiosk) TrustCertificate(c token.Certificate) error {
	k.idMu.RLock()
	v := k.verifier
	k.idMu.RUnlock()
	if v == nil {
		return ErrNotPaired
	}
	return v.AddCertificate(c)
}

// trust builds the badge signer (the kiosk's certified key) and verifier
// (the hub's key, which also vouches for every kiosk certificate a badge
// carries, and the revoked kiosks the read model learned through sync).
func (k *Kiosk) trust(id Identity) (*token.Signer, *token.Verifier, error) {
	var signer *token.Signer
	var verifier *token.Verifier
	var err error
	if id.HubPublicKey != nil {
		if verifier, err = token.NewVerifier(id.HubPublicKey); err != nil {
			return nil, nil, fmt.Errorf("identity: %w", err)
		}
		verifier.UseRevocations(k.model)
	}
	if id.Certificate != nil {
		if signer, err = token.NewKioskSigner(id.SigningKey, *id.Certificate); err != nil {
			return nil, nil, fmt.Errorf("identity: %w", err)
		}
		if err := verifier.AddCertificate(*id.Certificate); err != nil {
			return nil, nil, fmt.Errorf("identity: %w", err)
		}
	}
	return signer, verifier, nil
}

func (k *Kiosk) loadIdentity(ctx context.Context) error {
	var (
		id               Identity
		confs, cert      string
		pin, key, hubKey []byte
	)
	err := k.store.DB().QueryRowContext(ctx, `SELECT kiosk_id, hub_url, conferences, credential, pin_hash,
		signing_key, certificate, hub_public_key FROM kiosk_identity WHERE singleton = 1`).
		Scan(&id.KioskID, &id.HubURL, &confs, &id.Credential, &pin, &key, &cert, &hubKey)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load identity: %w", err)
	}
	if err := json.Unmarshal([]byte(confs), &id.Conferences); err != nil {
		return fmt.Errorf("load identity: conferences: %w", err)
	}
	id.PINHash = pin
	if key != nil {
		id.SigningKey = ed25519.PrivateKey(key)
	}
	if hubKey != nil {
		id.HubPublicKey = ed25519.PublicKey(hubKey)
	}
	if cert != "" {
		var c token.Certificate
		if err := c.UnmarshalText([]byte(cert)); err != nil {
			return fmt.Errorf("load identity: certificate: %w", err)
		}
		id.Certificate = &c
	}
	signer, verifier, err := k.trust(id)
	if err != nil {
		return err
	}
	k.identity, k.paired, k.signer, k.verifier = id, true, signer, verifier
	k.restart = id.KioskID != k.store.Node()
	return nil
}

// peekKioskID reads the stored kiosk id before the store opens, since the
// store stamps it on every event. A missing file or table means unpaired.
func peekKioskID(ctx context.Context, path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&"+url.Values{"_pragma": {"busy_timeout(5000)"}}.Encode())
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var id string
	err = db.QueryRowContext(ctx, `SELECT kiosk_id FROM kiosk_identity WHERE singleton = 1`).Scan(&id)
	switch {
	case err == nil:
		return id, nil
	case errors.Is(err, sql.ErrNoRows) || strings.Contains(err.Error(), "no such table"):
		return "", nil
	}
	// Let the store's own open report corrupt or locked files clearly.
	return "", nil
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
