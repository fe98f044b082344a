package token_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"conference/badges/token"
)

var issued = time.Date(2026, 9, 14, 8, 30, 0, 0, time.UTC)

func mustKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func claims() token.Claims {
	return token.Claims{
		Conference: "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f506",
		Seat:       "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f507",
		IssuedAt:   issued,
	}
}

func TestHubSignedTokenVerifiesWithOnlyTheHubPublicKey(t *testing.T) {
	hubPub, hubPriv := mustKey(t)
	signer, err := token.NewHubSigner(hubPriv)
	if err != nil {
		t.Fatal(err)
	}
	text, err := signer.Sign(claims())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := token.NewVerifier(hubPub)
	got, err := v.Verify(text)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := claims(); got.Conference != want.Conference || got.Seat != want.Seat || !got.IssuedAt.Equal(want.IssuedAt) {
		t.Errorf("claims = %+v, want %+v", got, want)
	}
}

func TestTokenIsShortAndUsesOnlyQRAlphanumericCharacters(t *testing.T) {
	_, hubPriv := mustKey(t)
	signer, _ := token.NewHubSigner(hubPriv)
	text, err := signer.Sign(claims())
	if err != nil {
		t.Fatal(err)
	}
	// 111 bytes in base45: fits a version 7 QR code at level M (178 chars).
	if len(text) != 167 {
		t.Errorf("token length = %d, want 167", len(text))
	}
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for _, r := range text {
		if !strings.ContainsRune(alnum, r) {
			t.Fatalf("token has %q, outside the QR alphanumeric set", r)
		}
	}
}

func TestAlteredTokenIsRejectedAsBadSignature(t *testing.T) {
	hubPub, hubPriv := mustKey(t)
	signer, _ := token.NewHubSigner(hubPriv)
	c := claims()
	c.Seat = "seat-41"
	text, _ := signer.Sign(c)
	tok, err := token.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Seat != "seat-41" {
		t.Fatalf("decoded seat %q", tok.Seat)
	}
	// Change each character in turn, as a forger editing the printed code
	// would: no altered token may verify.
	v, _ := token.NewVerifier(hubPub)
	alphabet := "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for i := range text {
		b := []byte(text)
		b[i] = alphabet[(strings.IndexByte(alphabet, b[i])+1)%len(alphabet)]
		_, err := v.Verify(string(b))
		if err == nil {
			t.Fatalf("altered token (position %d) verified", i)
		}
		if !errors.Is(err, token.ErrBadSignature) && !errors.Is(err, token.ErrMalformed) &&
			!errors.Is(err, token.ErrUnknownKey) && !errors.Is(err, token.ErrUnsupportedVersion) {
			t.Fatalf("altered token (position %d): error %v is not a token sentinel", i, err)
		}
	}
}

func TestTokenSignedByAnotherKeyIsUnknownKey(t *testing.T) {
	hubPub, _ := mustKey(t)
	_, otherPriv := mustKey(t)
	signer, _ := token.NewHubSigner(otherPriv)
	text, _ := signer.Sign(claims())
	v, _ := token.NewVerifier(hubPub)
	if _, err := v.Verify(text); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("Verify = %v, want ErrUnknownKey", err)
	}
}

func TestKioskSignedTokenVerifiesOnceHubCertifiedTheKiosk(t *testing.T) {
	hubPub, hubPriv := mustKey(t)
	kioskPub, kioskPriv := mustKey(t)
	cert, err := token.IssueCertificate(hubPriv, "kiosk-7", kioskPub, issued.Add(-time.Hour), issued.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.NewKioskSigner(kioskPriv, cert)
	if err != nil {
		t.Fatal(err)
	}
	text, err := signer.Sign(claims())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := token.NewVerifier(hubPub)
	if _, err := v.Verify(text); !errors.Is(err, token.ErrUnknownKey) {
		t.Fatalf("before the certificate is known: Verify = %v, want ErrUnknownKey", err)
	}
	// The certificate travels as text (sync, config files).
	certText, _ := cert.MarshalText()
	var received token.Certificate
	if err := received.UnmarshalText(certText); err != nil {
		t.Fatal(err)
	}
	if err := v.AddCertificate(received); err != nil {
		t.Fatalf("AddCertificate: %v", err)
	}
	got, err := v.Verify(text)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Seat != claims().Seat {
		t.Errorf("seat = %q", got.Seat)
	}
}

func TestCertificateNotSignedByTrustedHubIsRefused(t *testing.T) {
	hubPub, _ := mustKey(t)
	_, rogueHub := mustKey(t)
	kioskPub, _ := mustKey(t)
	cert, _ := token.IssueCertificate(rogueHub, "kiosk-7", kioskPub, issued, issued.Add(time.Hour))
	v, _ := token.NewVerifier(hubPub)
	if err := v.AddCertificate(cert); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("rogue issuer: AddCertificate = %v, want ErrUnknownKey", err)
	}
	// A certificate claiming the real hub as issuer but with a forged signature.
	cert.Issuer = token.KeyIDOf(hubPub)
	if err := v.AddCertificate(cert); !errors.Is(err, token.ErrBadSignature) {
		t.Errorf("forged signature: AddCertificate = %v, want ErrBadSignature", err)
	}
	// A certificate whose validity was stretched after signing.
	_, hubPriv := mustKey(t)
	v2, _ := token.NewVerifier(hubPriv.Public().(ed25519.PublicKey))
	good, _ := token.IssueCertificate(hubPriv, "kiosk-7", kioskPub, issued, issued.Add(time.Hour))
	good.NotAfter = good.NotAfter.Add(365 * 24 * time.Hour)
	if err := v2.AddCertificate(good); !errors.Is(err, token.ErrBadSignature) {
		t.Errorf("stretched validity: AddCertificate = %v, want ErrBadSignature", err)
	}
}

func TestKioskTokenOutsideCertificateValidityIsRejected(t *testing.T) {
	hubPub, hubPriv := mustKey(t)
	kioskPub, kioskPriv := mustKey(t)
	cert, _ := token.IssueCertificate(hubPriv, "kiosk-7", kioskPub, issued, issued.Add(time.Hour))
	signer, _ := token.NewKioskSigner(kioskPriv, cert)
	late := claims()
	late.IssuedAt = issued.Add(2 * time.Hour)
	if _, err := signer.Sign(late); !errors.Is(err, token.ErrNotValidAt) {
		t.Errorf("Sign after expiry = %v, want ErrNotValidAt", err)
	}
	// A kiosk that ignores its own expiry still cannot get the token accepted.
	rogue, _ := token.NewHubSigner(kioskPriv)
	text, _ := rogue.Sign(late)
	v, _ := token.NewVerifier(hubPub)
	if err := v.AddCertificate(cert); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(text); !errors.Is(err, token.ErrNotValidAt) {
		t.Errorf("Verify after expiry = %v, want ErrNotValidAt", err)
	}
}

func TestKioskSignerRefusesCertificateForAnotherKey(t *testing.T) {
	_, hubPriv := mustKey(t)
	kioskPub, _ := mustKey(t)
	_, otherPriv := mustKey(t)
	cert, _ := token.IssueCertificate(hubPriv, "kiosk-7", kioskPub, issued, issued.Add(time.Hour))
	if _, err := token.NewKioskSigner(otherPriv, cert); err == nil {
		t.Error("NewKioskSigner accepted a certificate for a different key")
	}
}

func TestSignRejectsInvalidClaims(t *testing.T) {
	_, hubPriv := mustKey(t)
	signer, _ := token.NewHubSigner(hubPriv)
	for name, c := range map[string]token.Claims{
		"empty conference": {Seat: "s", IssuedAt: issued},
		"empty seat":       {Conference: "c", IssuedAt: issued},
		"long seat":        {Conference: "c", Seat: strings.Repeat("x", token.MaxIDLen+1), IssuedAt: issued},
		"before 1970":      {Conference: "c", Seat: "s", IssuedAt: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := signer.Sign(c); !errors.Is(err, token.ErrInvalidClaims) {
			t.Errorf("%s: Sign = %v, want ErrInvalidClaims", name, err)
		}
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for _, s := range []string{"", "hello", "A", "00", "%%%", strings.Repeat("Z", 300)} {
		if _, err := token.Decode(s); err == nil {
			t.Errorf("Decode(%q) succeeded", s)
		}
	}
}
