package token

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"
)

// Revocations tells a Verifier which kiosks the organizer revoked. The
// kiosk's read model answers it from the revocation events sync delivers.
type Revocations interface {
	// KioskRevoked reports when kiosk kioskID was revoked, and its name
	// for people; ok is false for a kiosk not revoked.
	KioskRevoked(kioskID string) (name string, at time.Time, ok bool)
}

// RevokedError is Verify's refusal of a token a kiosk signed after the
// organizer revoked it. errors.Is(err, ErrKioskRevoked).
type RevokedError struct {
	Seat      string
	KioskID   string
	Name      string // the kiosk's name, or its id when unknown
	RevokedAt time.Time
	IssuedAt  time.Time
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("verify token for seat %q: signed by kiosk %s at %s, after it was revoked at %s",
		e.Seat, e.Name, e.IssuedAt.UTC().Format(time.DateTime), e.RevokedAt.UTC().Format(time.DateTime))
}

// Is makes errors.Is(err, ErrKioskRevoked) true.
func (e *RevokedError) Is(target error) bool { return target == ErrKioskRevoked }

// Verifier checks tokens against trusted hub keys and the kiosk
// certificates those keys signed. It needs no private key and no network,
// and is safe for concurrent use. Its cost does not depend on how many
// badges exist: at most two signature checks and a few map look-ups.
type Verifier struct {
	hubs map[KeyID]ed25519.PublicKey

	mu sync.RWMutex
	// kiosks holds the certificates known genuine: added, or checked once
	// when a version 2 token carried them. One per kiosk key.
	kiosks  map[KeyID]Certificate
	revoked Revocations
}

// NewVerifier returns a verifier that trusts the given hub public keys
// (more than one during a key rotation).
func NewVerifier(hubKeys ...ed25519.PublicKey) (*Verifier, error) {
	v := &Verifier{hubs: map[KeyID]ed25519.PublicKey{}, kiosks: map[KeyID]Certificate{}}
	for _, k := range hubKeys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("new verifier: hub key has %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		v.hubs[KeyIDOf(k)] = append(ed25519.PublicKey(nil), k...)
	}
	return v, nil
}

// UseRevocations makes the verifier refuse tokens that revoked kiosks
// signed after their revocation (ErrKioskRevoked); tokens they signed
// before stay valid.
func (v *Verifier) UseRevocations(r Revocations) {
	v.mu.Lock()
	v.revoked = r
	v.mu.Unlock()
}

// AddCertificate trusts a kiosk key after checking that a trusted hub key
// signed its certificate, so that version 1 tokens signed by the key
// verify. Errors wrap ErrUnknownKey or ErrBadSignature.
func (v *Verifier) AddCertificate(c Certificate) error {
	if err := v.checkCertificate(c); err != nil {
		return fmt.Errorf("add certificate: %w", err)
	}
	v.mu.Lock()
	v.kiosks[KeyIDOf(c.PublicKey)] = c
	v.mu.Unlock()
	return nil
}

func (v *Verifier) checkCertificate(c Certificate) error {
	hub, ok := v.hubs[c.Issuer]
	if !ok {
		return fmt.Errorf("certificate of kiosk %q: %w: issuer %s is not a trusted hub key", c.KioskID, ErrUnknownKey, c.Issuer)
	}
	return c.CheckSignature(hub)
}

// Verify decodes a token and checks its signature, returning its claims
// only if a trusted key signed exactly this content. Errors wrap
// ErrMalformed, ErrUnsupportedVersion, ErrUnknownKey, ErrNotValidAt,
// ErrBadSignature or ErrKioskRevoked (a *RevokedError).
func (v *Verifier) Verify(text string) (Claims, error) {
	t, err := Decode(text)
	if err != nil {
		return Claims{}, fmt.Errorf("verify: %w", err)
	}
	v.mu.RLock()
	key, isHub := v.hubs[t.KeyID]
	known, isKnown := v.kiosks[t.KeyID]
	revoked := v.revoked
	v.mu.RUnlock()
	var cert *Certificate
	switch {
	case t.Certificate != nil:
		cert = t.Certificate
		if !isKnown || !sameCertificate(known, *cert) {
			if err := v.checkCertificate(*cert); err != nil {
				return Claims{}, fmt.Errorf("verify token for seat %q: %w", t.Seat, err)
			}
			v.mu.Lock()
			v.kiosks[t.KeyID] = *cert
			v.mu.Unlock()
		}
		key = cert.PublicKey
	case isHub:
	case isKnown:
		cert, key = &known, known.PublicKey
	default:
		return Claims{}, fmt.Errorf("verify token for seat %q: %w %s", t.Seat, ErrUnknownKey, t.KeyID)
	}
	if !ed25519.Verify(key, t.signedMessage(), t.Signature) {
		return Claims{}, fmt.Errorf("verify token for seat %q: %w", t.Seat, ErrBadSignature)
	}
	if cert == nil {
		return t.Claims, nil
	}
	if !cert.ValidAt(t.IssuedAt) {
		return Claims{}, fmt.Errorf("verify token for seat %q: %w: kiosk %q at %s", t.Seat, ErrNotValidAt, cert.KioskID, t.IssuedAt)
	}
	if revoked != nil {
		if name, at, ok := revoked.KioskRevoked(cert.KioskID); ok && t.IssuedAt.After(at) {
			if name == "" {
				name = cert.KioskID
			}
			return Claims{}, &RevokedError{Seat: t.Seat, KioskID: cert.KioskID, Name: name, RevokedAt: at, IssuedAt: t.IssuedAt}
		}
	}
	return t.Claims, nil
}

func sameCertificate(a, b Certificate) bool {
	return a.Issuer == b.Issuer && a.KioskID == b.KioskID && a.PublicKey.Equal(b.PublicKey) &&
		a.NotBefore.Equal(b.NotBefore) && a.NotAfter.Equal(b.NotAfter) && bytes.Equal(a.Signature, b.Signature)
}
