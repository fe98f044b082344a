package token

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
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
// certificate the hub issued for its public key. Its tokens (version 2)
// carry the certificate.
func NewKioskSigner(key ed25519.PrivateKey, cert Certificate) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("new kiosk signer %q: key has %d bytes, want %d", cert.KioskID, len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	if !bytes.Equal(pub, cert.PublicKey) {
		return nil, fmt.Errorf("new kiosk signer %q: certificate is for a different key", cert.KioskID)
	}
	if err := cert.embeddable(); err != nil {
		return nil, fmt.Errorf("new kiosk signer %q: %w", cert.KioskID, err)
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
	p, domain := payload(s.id, c), tokenDomain
	if s.cert != nil {
		p, domain = payloadV2(s.cert, c), tokenDomainV2
	}
	sig := ed25519.Sign(s.key, signedMessage(domain, p))
	return encodeBase45(append(p, sig...)), nil
}
