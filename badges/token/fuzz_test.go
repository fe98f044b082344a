package token_test

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"conference/badges/token"
)

// FuzzDecode feeds arbitrary scanner input to the decoder and verifier. They
// must never panic, must fail only with the package's sentinel errors, and a
// decoded token must re-sign to the same shape; only genuinely signed input
// may verify.
func FuzzDecode(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	signer, err := token.NewHubSigner(seed)
	if err != nil {
		f.Fatal(err)
	}
	good, err := signer.Sign(token.Claims{Conference: "gophercon-eu", Seat: "A-17", IssuedAt: time.Unix(1789000000, 0)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("")
	f.Add("ABC")
	v, err := token.NewVerifier(seed.Public().(ed25519.PublicKey))
	if err != nil {
		f.Fatal(err)
	}
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
		// Re-signing the decoded claims with the same key gives a token of
		// the same length: the encoding is canonical.
		again, err := signer.Sign(tok.Claims)
		if err != nil {
			t.Fatalf("re-sign decoded claims %+v: %v", tok.Claims, err)
		}
		if tok.KeyID == signer.KeyID() && len(again) != len(s) {
			t.Fatalf("re-encoded length %d, input %d", len(again), len(s))
		}
		if _, err := v.Verify(s); err == nil && s != again {
			t.Fatalf("Verify accepted %q, which the signer did not produce", s)
		}
	})
}
