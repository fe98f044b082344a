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

// kioskSigner certifies a new kiosk key with hubPriv and returns its
// signer (version 2 tokens), its private key and its certificate.
func kioskSigner(t *testing.T, hubPriv ed25519.PrivateKey, kioskID string) (*token.Signer, ed25519.PrivateKey, token.Certificate) {
	t.Helper()
	kioskPub, kioskPriv := mustKey(t)
	cert, err := token.IssueCertificate(hubPriv, kioskID, kioskPub, issued.Add(-time.Hour), issued.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.NewKioskSigner(kioskPriv, cert)
	if err != nil {
		t.Fatal(err)
	}
	return signer, kioskPriv, cert
}

// A kiosk that never heard of the printing kiosk (it has been offline
// since before that kiosk was paired) holds only the hub's public key: the
// token carries the hub's certificate of the printing kiosk's key.
func TestKioskSignedTokenVerifiesWithOnlyTheHubPublicKey(t *testing.T) {
	hubPub, hubPriv := mustKey(t)
	signer, _, cert := kioskSigner(t, hubPriv, "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5ab")
	text, err := signer.Sign(claims())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := token.NewVerifier(hubPub)
	got, err := v.Verify(text)
	if err != nil {
		t.Fatalf("Verify with only the hub key: %v", err)
	}
	if want := claims(); got.Conference != want.Conference || got.Seat != want.Seat || !got.IssuedAt.Equal(want.IssuedAt) {
		t.Errorf("claims = %+v, want %+v", got, want)
	}
	tok, err := token.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Version != 2 || tok.Certificate == nil || tok.Certificate.KioskID != cert.KioskID || tok.KeyID != signer.KeyID() {
		t.Errorf("decoded version %d, certificate %+v, key %s; want version 2 carrying kiosk %s's certificate", tok.Version, tok.Certificate, tok.KeyID, cert.KioskID)
	}
	// 232 bytes in base45: a version 11 QR code at level M (366 chars).
	if len(text) != 348 {
		t.Errorf("kiosk token length = %d, want 348", len(text))
	}
}

func TestKioskTokenCertifiedByAnotherHubIsUnknownKey(t *testing.T) {
	hubPub, _ := mustKey(t)
	_, rogueHub := mustKey(t)
	signer, _, _ := kioskSigner(t, rogueHub, "kiosk-7")
	text, _ := signer.Sign(claims())
	v, _ := token.NewVerifier(hubPub)
	if _, err := v.Verify(text); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("Verify = %v, want ErrUnknownKey", err)
	}
}

// Kiosks of older builds signed version 1 tokens naming only their key:
// those verify where the kiosk's certificate is known.
func TestVersion1KioskTokenVerifiesOnceTheCertificateIsKnown(t *testing.T) {
	hubPub, hubPriv := mustKey(t)
	_, kioskPriv, cert := kioskSigner(t, hubPriv, "kiosk-7")
	old, _ := token.NewHubSigner(kioskPriv) // what an older kiosk build signed with
	text, err := old.Sign(claims())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := token.NewVerifier(hubPub)
	if _, err := v.Verify(text); !errors.Is(err, token.ErrUnknownKey) {
		t.Fatalf("before the certificate is known: Verify = %v, want ErrUnknownKey", err)
	}
	// The certificate travels as text (pairing, config files).
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

type revocations map[string]time.Time

func (r revocations) KioskRevoked(id string) (string, time.Time, bool) {
	at, ok := r[id]
	return "Door " + id, at, ok
}

// Badges a revoked kiosk signed before its revocation stay valid; those it
// signed after are refused, naming the kiosk and the time, whichever
// version the kiosk signed.
func TestTokensSignedByARevokedKioskAfterItsRevocationAreRefused(t *testing.T) {
	hubPub, hubPriv := mustKey(t)
	signer, kioskPriv, cert := kioskSigner(t, hubPriv, "B")
	old, _ := token.NewHubSigner(kioskPriv)
	revokedAt := issued.Add(90 * time.Minute)
	v, _ := token.NewVerifier(hubPub)
	if err := v.AddCertificate(cert); err != nil {
		t.Fatal(err)
	}
	v.UseRevocations(revocations{"B": revokedAt})
	for name, s := range map[string]*token.Signer{"version 2": signer, "version 1": old} {
		before, after := claims(), claims()
		before.IssuedAt, after.IssuedAt = revokedAt, revokedAt.Add(time.Second)
		textBefore, _ := s.Sign(before)
		textAfter, _ := s.Sign(after)
		if _, err := v.Verify(textBefore); err != nil {
			t.Errorf("%s: signed at the revocation: %v, want valid", name, err)
		}
		_, err := v.Verify(textAfter)
		var re *token.RevokedError
		if !errors.Is(err, token.ErrKioskRevoked) || !errors.As(err, &re) {
			t.Fatalf("%s: signed after the revocation: %v, want ErrKioskRevoked", name, err)
		}
		if re.KioskID != "B" || re.Name != "Door B" || !re.RevokedAt.Equal(revokedAt) || !re.IssuedAt.Equal(after.IssuedAt) {
			t.Errorf("%s: refusal %+v", name, re)
		}
		if msg := err.Error(); !strings.Contains(msg, "signed by kiosk Door B") || !strings.Contains(msg, "revoked at 2026-09-14 10:00:00") {
			t.Errorf("%s: message %q does not name the kiosk and the revocation time", name, msg)
		}
	}
	// Another kiosk of the same hub is not affected.
	other, _, _ := kioskSigner(t, hubPriv, "C")
	late := claims()
	late.IssuedAt = revokedAt.Add(time.Hour)
	text, _ := other.Sign(late)
	if _, err := v.Verify(text); err != nil {
		t.Errorf("kiosk C after B's revocation: %v", err)
	}
}

// A forger who swaps the certificate inside a kiosk token for another
// genuine one, or edits the one there, gets nothing past the verifier.
func TestKioskTokenWithAnAlteredCertificateIsRefused(t *testing.T) {
	hubPub, hubPriv := mustKey(t)
	signer, _, _ := kioskSigner(t, hubPriv, "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5ab")
	text, _ := signer.Sign(claims())
	v, _ := token.NewVerifier(hubPub)
	alphabet := "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	for i := range text {
		b := []byte(text)
		b[i] = alphabet[(strings.IndexByte(alphabet, b[i])+1)%len(alphabet)]
		_, err := v.Verify(string(b))
		if err == nil {
			t.Fatalf("altered kiosk token (position %d) verified", i)
		}
		if !errors.Is(err, token.ErrBadSignature) && !errors.Is(err, token.ErrMalformed) &&
			!errors.Is(err, token.ErrUnknownKey) && !errors.Is(err, token.ErrUnsupportedVersion) &&
			!errors.Is(err, token.ErrNotValidAt) {
			t.Fatalf("altered kiosk token (position %d): error %v is not a token sentinel", i, err)
		}
	}
	// The genuine token still verifies after all those forgeries (the
	// verifier remembered no forged certificate).
	if _, err := v.Verify(text); err != nil {
		t.Fatalf("genuine token after forgeries: %v", err)
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

// BenchmarkVerify measures one verification of each kind: a kiosk token
// checks the certificate it carries once per kiosk, then only its own
// signature, so both cost about one Ed25519 verification.
func BenchmarkVerify(b *testing.B) {
	hubPub, hubPriv := mustKey(b)
	hub, _ := token.NewHubSigner(hubPriv)
	kioskPub, kioskPriv := mustKey(b)
	cert, _ := token.IssueCertificate(hubPriv, "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5ab", kioskPub, issued.Add(-time.Hour), issued.Add(time.Hour))
	kiosk, _ := token.NewKioskSigner(kioskPriv, cert)
	for name, s := range map[string]*token.Signer{"hub": hub, "kiosk": kiosk} {
		b.Run(name, func(b *testing.B) {
			text, err := s.Sign(claims())
			if err != nil {
				b.Fatal(err)
			}
			v, _ := token.NewVerifier(hubPub)
			for b.Loop() {
				if _, err := v.Verify(text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
