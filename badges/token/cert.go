package token

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"
)

const certDomain = "conference/kiosk-badge-cert/v1\x00"

// Certificate is the hub's statement that a kiosk's public key may sign
// badge tokens between NotBefore and NotAfter. The hub issues one when a
// kiosk pairs; every token the kiosk signs carries it (version 2), so
// other kiosks need only the hub's public key to trust the kiosk's.
type Certificate struct {
	// Issuer names the hub key that signed the certificate.
	Issuer KeyID
	// KioskID identifies the kiosk (a UUID or short id).
	KioskID string
	// PublicKey is the kiosk's Ed25519 public key.
	PublicKey ed25519.PublicKey
	// NotBefore and NotAfter bound the issue times of tokens the kiosk key
	// may sign, to the second.
	NotBefore, NotAfter time.Time
	// Signature is the hub's Ed25519 signature.
	Signature []byte
}

// IssueCertificate signs a certificate for a kiosk public key with the
// hub's private key.
func IssueCertificate(hub ed25519.PrivateKey, kioskID string, kioskKey ed25519.PublicKey, notBefore, notAfter time.Time) (Certificate, error) {
	if len(hub) != ed25519.PrivateKeySize {
		return Certificate{}, fmt.Errorf("issue certificate for kiosk %q: hub key has %d bytes, want %d", kioskID, len(hub), ed25519.PrivateKeySize)
	}
	if len(kioskKey) != ed25519.PublicKeySize {
		return Certificate{}, fmt.Errorf("issue certificate for kiosk %q: %w: public key has %d bytes", kioskID, ErrInvalidClaims, len(kioskKey))
	}
	if err := validateID("kiosk id", kioskID); err != nil {
		return Certificate{}, fmt.Errorf("issue certificate: %w", err)
	}
	if !notAfter.After(notBefore) {
		return Certificate{}, fmt.Errorf("issue certificate for kiosk %q: %w: validity ends before it starts", kioskID, ErrInvalidClaims)
	}
	c := Certificate{
		Issuer:    KeyIDOf(hub.Public().(ed25519.PublicKey)),
		KioskID:   kioskID,
		PublicKey: append(ed25519.PublicKey(nil), kioskKey...),
		NotBefore: notBefore.Truncate(time.Second).UTC(),
		NotAfter:  notAfter.Truncate(time.Second).UTC(),
	}
	c.Signature = ed25519.Sign(hub, signedMessage(certDomain, c.payload()))
	return c, nil
}

// ValidAt reports whether t lies within the certificate's validity.
func (c Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

// CheckSignature verifies the certificate against the hub public key.
func (c Certificate) CheckSignature(hub ed25519.PublicKey) error {
	if KeyIDOf(hub) != c.Issuer {
		return fmt.Errorf("check certificate of kiosk %q: %w: issuer %s", c.KioskID, ErrUnknownKey, c.Issuer)
	}
	if len(c.Signature) != sigLen || !ed25519.Verify(hub, signedMessage(certDomain, c.payload()), c.Signature) {
		return fmt.Errorf("check certificate of kiosk %q: %w", c.KioskID, ErrBadSignature)
	}
	return nil
}

func (c Certificate) payload() []byte {
	b := []byte{version1}
	b = append(b, c.Issuer[:]...)
	b = appendID(b, c.KioskID)
	b = append(b, c.PublicKey...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.NotBefore.Unix()))
	return binary.BigEndian.AppendUint64(b, uint64(c.NotAfter.Unix()))
}

// MarshalText encodes the certificate as unpadded URL-safe base64, for
// configuration files and the sync protocol.
func (c Certificate) MarshalText() ([]byte, error) {
	raw := append(c.payload(), c.Signature...)
	out := make([]byte, base64.RawURLEncoding.EncodedLen(len(raw)))
	base64.RawURLEncoding.Encode(out, raw)
	return out, nil
}

// UnmarshalText decodes a certificate written by MarshalText. It does not
// check the signature; Verifier.AddCertificate does.
func (c *Certificate) UnmarshalText(text []byte) error {
	raw := make([]byte, base64.RawURLEncoding.DecodedLen(len(text)))
	n, err := base64.RawURLEncoding.Decode(raw, text)
	if err != nil {
		return fmt.Errorf("decode certificate: %w: %v", ErrMalformed, err)
	}
	raw = raw[:n]
	if len(raw) < 1 {
		return fmt.Errorf("decode certificate: %w: empty", ErrMalformed)
	}
	if raw[0] != version1 {
		return fmt.Errorf("decode certificate: %w %d", ErrUnsupportedVersion, raw[0])
	}
	r := reader{b: raw[1:]}
	var out Certificate
	copy(out.Issuer[:], r.next(8))
	out.KioskID = r.id()
	out.PublicKey = append(ed25519.PublicKey(nil), r.next(ed25519.PublicKeySize)...)
	nb, na := r.next(8), r.next(8)
	out.Signature = append([]byte(nil), r.next(sigLen)...)
	if r.err != nil {
		return fmt.Errorf("decode certificate: %w: %v", ErrMalformed, r.err)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("decode certificate: %w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	out.NotBefore = time.Unix(int64(binary.BigEndian.Uint64(nb)), 0).UTC()
	out.NotAfter = time.Unix(int64(binary.BigEndian.Uint64(na)), 0).UTC()
	*c = out
	return nil
}

// compactCertLen is the size of a certificate inside a version 2 token
// whose kiosk id is a UUID.
const compactCertLen = 8 + 17 + ed25519.PublicKeySize + 4 + 4 + sigLen

// embeddable reports why the certificate cannot travel inside a version 2
// token, whose times have 4 bytes: nil when it can.
func (c Certificate) embeddable() error {
	for _, t := range []time.Time{c.NotBefore, c.NotAfter} {
		if s := t.Unix(); s < 0 || s > 0xFFFFFFFF {
			return fmt.Errorf("%w: certificate of kiosk %q: validity bound %s out of range", ErrInvalidClaims, c.KioskID, t)
		}
	}
	if err := validateID("kiosk id", c.KioskID); err != nil {
		return err
	}
	if len(c.PublicKey) != ed25519.PublicKeySize || len(c.Signature) != sigLen {
		return fmt.Errorf("%w: certificate of kiosk %q is incomplete", ErrInvalidClaims, c.KioskID)
	}
	return nil
}

// appendCompact appends the certificate in the form version 2 tokens
// carry (see the package comment). The hub's signature covers the
// certificate's full form, which decoding rebuilds from these fields.
func (c Certificate) appendCompact(b []byte) []byte {
	b = append(b, c.Issuer[:]...)
	b = appendID(b, c.KioskID)
	b = append(b, c.PublicKey...)
	b = binary.BigEndian.AppendUint32(b, uint32(c.NotBefore.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(c.NotAfter.Unix()))
	return append(b, c.Signature...)
}

// compactCertificate reads what appendCompact wrote.
func (r *reader) compactCertificate() Certificate {
	var c Certificate
	copy(c.Issuer[:], r.next(8))
	c.KioskID = r.id()
	c.PublicKey = append(ed25519.PublicKey(nil), r.next(ed25519.PublicKeySize)...)
	nb, na := r.next(4), r.next(4)
	c.Signature = append([]byte(nil), r.next(sigLen)...)
	if r.err != nil {
		return Certificate{}
	}
	c.NotBefore = time.Unix(int64(binary.BigEndian.Uint32(nb)), 0).UTC()
	c.NotAfter = time.Unix(int64(binary.BigEndian.Uint32(na)), 0).UTC()
	return c
}
