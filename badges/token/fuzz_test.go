package token_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"conference/badges/token"
)

// fuzzKeys are the fixed keys of the fuzz targets, so the kept corpus
// holds genuinely signed tokens of both versions: a hub key signing
// version 1 tokens, and a kiosk key it certified signing version 2 ones.
func fuzzKeys(f *testing.F) (hub, kiosk *token.Signer, cert token.Certificate, v *token.Verifier) {
	hubKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	kioskKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	cert, err := token.IssueCertificate(hubKey, "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5ab", kioskKey.Public().(ed25519.PublicKey),
		time.Unix(1788000000, 0), time.Unix(1790000000, 0))
	if err != nil {
		f.Fatal(err)
	}
	if hub, err = token.NewHubSigner(hubKey); err != nil {
		f.Fatal(err)
	}
	if kiosk, err = token.NewKioskSigner(kioskKey, cert); err != nil {
		f.Fatal(err)
	}
	if v, err = token.NewVerifier(hubKey.Public().(ed25519.PublicKey)); err != nil {
		f.Fatal(err)
	}
	return hub, kiosk, cert, v
}

// FuzzDecode feeds arbitrary scanner input to the decoder and verifier. They
// must never panic, must fail only with the package's sentinel errors, and a
// decoded token must re-sign to the same shape; only genuinely signed input
// may verify, whether signed by the hub (version 1) or by a certified kiosk
// whose certificate the token carries (version 2).
func FuzzDecode(f *testing.F) {
	hub, kiosk, cert, v := fuzzKeys(f)
	certText, _ := cert.MarshalText()
	claims := token.Claims{Conference: "gophercon-eu", Seat: "A-17", IssuedAt: time.Unix(1789000000, 0)}
	for _, s := range []*token.Signer{hub, kiosk} {
		good, err := s.Sign(claims)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(good)
	}
	f.Add("")
	f.Add("ABC")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := token.Decode(s)
		if err != nil {
			if !errors.Is(err, token.ErrMalformed) && !errors.Is(err, token.ErrUnsupportedVersion) {
				t.Fatalf("Decode(%q) error %v wraps no sentinel", s, err)
			}
			if _, verr := v.Verify(s); verr == nil {
				t.Fatalf("Verify accepted %q that Decode rejects", s)
			}
			return
		}
		if tok.Conference == "" || tok.Seat == "" || len(tok.Conference) > token.MaxIDLen || len(tok.Seat) > token.MaxIDLen {
			t.Fatalf("Decode(%q) produced invalid claims %+v", s, tok.Claims)
		}
		if (tok.Version == 2) != (tok.Certificate != nil) {
			t.Fatalf("Decode(%q): version %d with certificate %v", s, tok.Version, tok.Certificate)
		}
		// Re-signing the decoded claims with the same key (and, in version
		// 2, the same certificate) gives a token of the same length: the
		// encoding is canonical.
		signer, same := hub, tok.Version == 1 && tok.KeyID == hub.KeyID()
		if tok.Version == 2 {
			text, _ := tok.Certificate.MarshalText()
			signer, same = kiosk, bytes.Equal(text, certText)
		}
		again, err := signer.Sign(tok.Claims)
		if err != nil && !errors.Is(err, token.ErrNotValidAt) {
			t.Fatalf("re-sign decoded claims %+v: %v", tok.Claims, err)
		}
		if err == nil && same && len(again) != len(s) {
			t.Fatalf("re-encoded length %d, input %d", len(again), len(s))
		}
		_, verr := v.Verify(s)
		if verr == nil && s != again {
			t.Fatalf("Verify accepted %q, which the signer did not produce", s)
		}
		if verr != nil && !errors.Is(verr, token.ErrBadSignature) && !errors.Is(verr, token.ErrUnknownKey) &&
			!errors.Is(verr, token.ErrNotValidAt) {
			t.Fatalf("Verify(%q) error %v wraps no sentinel", s, verr)
		}
	})
}
