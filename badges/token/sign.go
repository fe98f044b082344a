package token

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"
)

// Signer issues badge tokens with one private key: the hub's own key, or a
// kiosk key together with the certificate the hub gave it.
type Signer struct {
	key  ed25519.PrivateKey
	id   KeyID
	cert *Certificate
}

// NewHubSigner returns a signer using the hub's private key.
func NewHubSigner(key ed25519.PrivateKey) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("new hub signer: key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	return &Signer{key: key, id: KeyIDOf(key.Public().(ed25519.PublicKey))}, nil
}

// NewKioskSigner returns a signer using a kiosk's private key and the
// certificate the hub issued for its public key.
func NewKioskSigner(key ed25519.PrivateKey, cert Certificate) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("new kiosk signer %q: key has %d bytes, want %d", cert.KioskID, len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	if !bytes.Equal(pub, cert.PublicKey) {
		return nil, fmt.Errorf("new kiosk signer %q: certificate is for a different key", cert.KioskID)
	}
	return &Signer{key: key, id: KeyIDOf(pub), cert: &cert}, nil
}

// KeyID returns the id of the signing key, which tokens carry.
func (s *Signer) KeyID() KeyID { return s.id }

// Sign returns the text of a token asserting c, ready for a QR code. The
// issue time is truncated to the second. A kiosk signer refuses issue times
// outside its certificate's validity (ErrNotValidAt).
func (s *Signer) Sign(c Claims) (string, error) {
	c.IssuedAt = c.IssuedAt.Truncate(time.Second)
	if err := c.validate(); err != nil {
		return "", fmt.Errorf("sign token for seat %q: %w", c.Seat, err)
	}
	if s.cert != nil && !s.cert.ValidAt(c.IssuedAt) {
		return "", fmt.Errorf("sign token for seat %q: %w: kiosk %q at %s", c.Seat, ErrNotValidAt, s.cert.KioskID, c.IssuedAt.UTC())
	}
	p := payload(s.id, c)
	sig := ed25519.Sign(s.key, signedMessage(tokenDomain, p))
	return encodeBase45(append(p, sig...)), nil
}

// Verifier checks tokens against trusted hub keys and the kiosk
// certificates those keys signed. It needs no private key and no network,
// and is safe for concurrent use.
type Verifier struct {
	mu     sync.RWMutex
	hubs   map[KeyID]ed25519.PublicKey
	kiosks map[KeyID]Certificate
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

// AddCertificate trusts a kiosk key after checking that a trusted hub key
// signed its certificate. Errors wrap ErrUnknownKey or ErrBadSignature.
func (v *Verifier) AddCertificate(c Certificate) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	hub, ok := v.hubs[c.Issuer]
	if !ok {
		return fmt.Errorf("add certificate of kiosk %q: %w: issuer %s is not a trusted hub key", c.KioskID, ErrUnknownKey, c.Issuer)
	}
	if err := c.CheckSignature(hub); err != nil {
		return fmt.Errorf("add certificate: %w", err)
	}
	v.kiosks[KeyIDOf(c.PublicKey)] = c
	return nil
}

// Verify decodes a token and checks its signature, returning its claims
// only if a trusted key signed exactly this content. Errors wrap
// ErrMalformed, ErrUnsupportedVersion, ErrUnknownKey, ErrNotValidAt or
// ErrBadSignature.
func (v *Verifier) Verify(text string) (Claims, error) {
	t, err := Decode(text)
	if err != nil {
		return Claims{}, fmt.Errorf("verify: %w", err)
	}
	v.mu.RLock()
	key, ok := v.hubs[t.KeyID]
	cert, isKiosk := v.kiosks[t.KeyID]
	v.mu.RUnlock()
	if !ok && isKiosk {
		if !cert.ValidAt(t.IssuedAt) {
			return Claims{}, fmt.Errorf("verify token for seat %q: %w: kiosk %q at %s", t.Seat, ErrNotValidAt, cert.KioskID, t.IssuedAt)
		}
		key, ok = cert.PublicKey, true
	}
	if !ok {
		return Claims{}, fmt.Errorf("verify token for seat %q: %w %s", t.Seat, ErrUnknownKey, t.KeyID)
	}
	if !ed25519.Verify(key, signedMessage(tokenDomain, t.signed), t.Signature) {
		return Claims{}, fmt.Errorf("verify token for seat %q: %w", t.Seat, ErrBadSignature)
	}
	return t.Claims, nil
}
