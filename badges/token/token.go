// Package token issues and verifies the signed badge tokens printed in a
// badge's QR code.
//
// A token says "this attendee seat of this conference was issued a badge at
// this time" and is signed with Ed25519, either by the hub's key or by a kiosk
// key that the hub certified (see Certificate). Verifying needs only public
// keys, so any kiosk can tell a genuine badge from a forged or altered one
// while offline.
//
// Wire format, before base45 encoding. Version 1 (the hub's badges, and
// kiosk badges of older builds):
//
//	version   1 byte  (1)
//	key id    8 bytes (first 8 bytes of SHA-256 of the signer's public key)
//	conference  identifier (see below)
//	seat        identifier
//	issued at 4 bytes, big-endian Unix seconds
//	signature 64 bytes, Ed25519 over the v1 domain string and all bytes above
//
// Version 2 (kiosk badges) carries the hub's certificate of the kiosk key
// instead of the key id, so that a kiosk that never heard of the printing
// kiosk verifies the badge with nothing but the hub's public key:
//
//	version   1 byte  (2)
//	certificate:
//	  issuer     8 bytes (key id of the hub key that signed it)
//	  kiosk id   identifier
//	  public key 32 bytes (the kiosk's Ed25519 key)
//	  not before 4 bytes, big-endian Unix seconds
//	  not after  4 bytes, big-endian Unix seconds
//	  hub signature 64 bytes (over the certificate as Certificate.MarshalText
//	             writes it: the fields above with 8-byte times)
//	conference  identifier
//	seat        identifier
//	issued at 4 bytes, big-endian Unix seconds
//	signature 64 bytes, Ed25519 by the kiosk key over the v2 domain string
//	          and all bytes above
//
// An identifier is either 0x80 followed by the 16 bytes of a UUID (used
// whenever the text is a canonical lowercase UUID), or a length byte 1..64
// followed by that many bytes of UTF-8. The whole is encoded as RFC 9285
// base45, whose alphabet is the QR alphanumeric set. With UUID identifiers
// a hub-signed token is 167 characters (a version 7 QR code at error
// correction level M, 45 modules a side) and a kiosk-signed one 348
// characters (version 11 at level M, 61 modules a side).
package token

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Sentinel errors callers branch on. Errors returned by this package wrap
// one of them, so test with errors.Is.
var (
	// ErrMalformed means the text is not a well-formed token or certificate.
	ErrMalformed = errors.New("malformed")
	// ErrUnsupportedVersion means the token or certificate uses a format
	// version this code does not know.
	ErrUnsupportedVersion = errors.New("unsupported version")
	// ErrBadSignature means the signature does not match the content: the
	// badge was forged or altered.
	ErrBadSignature = errors.New("bad signature")
	// ErrUnknownKey means the signer's key is neither a trusted hub key nor
	// a kiosk key with a known certificate.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrNotValidAt means a kiosk certificate was not valid at the time the
	// token claims to have been issued.
	ErrNotValidAt = errors.New("certificate not valid at issue time")
	// ErrInvalidClaims means the claims cannot be put in a token (empty or
	// too long identifiers, issue time out of range).
	ErrInvalidClaims = errors.New("invalid claims")
	// ErrKioskRevoked means a kiosk signed the token after the organizer
	// revoked it (see RevokedError).
	ErrKioskRevoked = errors.New("signed by a revoked kiosk")
)

const (
	version1 = 1
	version2 = 2
	// MaxIDLen is the longest conference or seat identifier, in bytes, that
	// a token carries. Longer identifiers would make the QR hard to scan.
	MaxIDLen = 64
	uuidTag  = 0x80
	sigLen   = ed25519.SignatureSize
	// tokenDomain and tokenDomainV2 separate token signatures from
	// certificate signatures, and the versions from each other, so none can
	// be replayed as another.
	tokenDomain   = "conference/badge-token/v1\x00"
	tokenDomainV2 = "conference/badge-token/v2\x00"
)

// KeyID names a public key in 8 bytes: the first 8 bytes of its SHA-256.
type KeyID [8]byte

// String returns the key id in hex.
func (k KeyID) String() string { return fmt.Sprintf("%x", k[:]) }

// KeyIDOf returns the KeyID of a public key.
func KeyIDOf(pub ed25519.PublicKey) KeyID {
	sum := sha256.Sum256(pub)
	var id KeyID
	copy(id[:], sum[:8])
	return id
}

// Claims is what a badge token asserts.
type Claims struct {
	// Conference identifies the conference (a UUID or short slug).
	Conference string
	// Seat identifies the attendee's seat assignment (a UUID or short id).
	Seat string
	// IssuedAt is when the badge was issued, to the second.
	IssuedAt time.Time
}

func (c Claims) validate() error {
	if err := validateID("conference", c.Conference); err != nil {
		return err
	}
	if err := validateID("seat", c.Seat); err != nil {
		return err
	}
	if s := c.IssuedAt.Unix(); s < 0 || s > 0xFFFFFFFF {
		return fmt.Errorf("%w: issue time %s out of range", ErrInvalidClaims, c.IssuedAt)
	}
	return nil
}

func validateID(field, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidClaims, field)
	case len(s) > MaxIDLen:
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidClaims, field, MaxIDLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidClaims, field)
	}
	return nil
}

// Token is a decoded but not necessarily verified badge token.
type Token struct {
	Claims
	// Version is the format version (1 or 2).
	Version int
	// KeyID names the key that signed the token.
	KeyID KeyID
	// Certificate is the signing kiosk's certificate, which version 2
	// tokens carry; nil in version 1.
	Certificate *Certificate
	// Signature is the Ed25519 signature over the signed bytes.
	Signature []byte
	signed    []byte
}

// Decode parses the text of a token without checking its signature. Use
// Verifier.Verify to decide whether to trust a token; Decode is for
// diagnostics. Errors wrap ErrMalformed or ErrUnsupportedVersion.
func Decode(s string) (*Token, error) {
	raw, err := decodeBase45(s)
	if err != nil {
		return nil, fmt.Errorf("decode token: %w: %v", ErrMalformed, err)
	}
	if len(raw) < 1 {
		return nil, fmt.Errorf("decode token: %w: empty", ErrMalformed)
	}
	if raw[0] != version1 && raw[0] != version2 {
		return nil, fmt.Errorf("decode token: %w %d", ErrUnsupportedVersion, raw[0])
	}
	r := reader{b: raw[1:]}
	t := Token{Version: int(raw[0])}
	if t.Version == version1 {
		copy(t.KeyID[:], r.next(8))
	} else {
		c := r.compactCertificate()
		t.Certificate = &c
		t.KeyID = KeyIDOf(c.PublicKey)
	}
	t.Conference = r.id()
	t.Seat = r.id()
	issued := r.next(4)
	t.Signature = r.next(sigLen)
	if r.err != nil {
		return nil, fmt.Errorf("decode token: %w: %v", ErrMalformed, r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("decode token: %w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	t.IssuedAt = time.Unix(int64(binary.BigEndian.Uint32(issued)), 0).UTC()
	t.signed = raw[:len(raw)-sigLen]
	return &t, nil
}

// signedMessage returns what the token's signature covers.
func (t *Token) signedMessage() []byte {
	if t.Version == version2 {
		return signedMessage(tokenDomainV2, t.signed)
	}
	return signedMessage(tokenDomain, t.signed)
}

// payload returns the signed bytes of a version 1 token for claims c and
// key id.
func payload(id KeyID, c Claims) []byte {
	b := make([]byte, 0, 1+8+2*17+4+sigLen)
	b = append(b, version1)
	b = append(b, id[:]...)
	return appendClaims(b, c)
}

// payloadV2 returns the signed bytes of a version 2 token for claims c
// signed under cert.
func payloadV2(cert *Certificate, c Claims) []byte {
	b := make([]byte, 0, 1+compactCertLen+2*17+4+sigLen)
	b = append(b, version2)
	b = cert.appendCompact(b)
	return appendClaims(b, c)
}

func appendClaims(b []byte, c Claims) []byte {
	b = appendID(b, c.Conference)
	b = appendID(b, c.Seat)
	return binary.BigEndian.AppendUint32(b, uint32(c.IssuedAt.Unix()))
}

func signedMessage(domain string, payload []byte) []byte {
	msg := make([]byte, 0, len(domain)+len(payload))
	return append(append(msg, domain...), payload...)
}

// appendID appends an identifier, compacting canonical UUIDs to 16 bytes.
func appendID(b []byte, s string) []byte {
	if u, ok := canonicalUUID(s); ok {
		return append(append(b, uuidTag), u[:]...)
	}
	return append(append(b, byte(len(s))), s...)
}

func canonicalUUID(s string) (uuid.UUID, bool) {
	if len(s) != 36 {
		return uuid.UUID{}, false
	}
	u, err := uuid.Parse(s)
	if err != nil || u.String() != s {
		return uuid.UUID{}, false
	}
	return u, true
}

// reader consumes bytes and records the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = fmt.Errorf("truncated: need %d bytes, have %d", n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// id reads an identifier and insists on the canonical encoding, so that a
// decoded token re-encodes to exactly the same text.
func (r *reader) id() string {
	tag := r.next(1)
	if r.err != nil {
		return ""
	}
	switch n := int(tag[0]); {
	case n == uuidTag:
		u, err := uuid.FromBytes(r.next(16))
		if r.err == nil && err != nil {
			r.err = err
		}
		return u.String()
	case n >= 1 && n <= MaxIDLen:
		s := string(r.next(n))
		if r.err != nil {
			return ""
		}
		if !utf8.ValidString(s) {
			r.err = errors.New("identifier is not valid UTF-8")
		} else if _, ok := canonicalUUID(s); ok {
			r.err = errors.New("UUID identifier not in compact form")
		}
		return s
	default:
		r.err = fmt.Errorf("bad identifier tag 0x%02x", n)
		return ""
	}
}
