package kiosk_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"conference/badges/token"
	"conference/shared/eventstore"
	"conference/shared/ids"
	"conference/shared/onsite"
)

// otherKiosk is a kiosk the hub certified that this kiosk never heard of.
func (f *fixture) otherKiosk(id string) *token.Signer {
	f.t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	must(f.t, err)
	now := f.clock.Now()
	cert, err := token.IssueCertificate(f.keys.Hub, id, pub, now.Add(-24*time.Hour), now.Add(24*time.Hour))
	must(f.t, err)
	s, err := token.NewKioskSigner(priv, cert)
	must(f.t, err)
	return s
}

func (f *fixture) kioskToken(s *token.Signer, seat onsite.Seat, issued time.Time) string {
	f.t.Helper()
	tok, err := s.Sign(token.Claims{Conference: conf.String(), Seat: seat.TokenID(), IssuedAt: issued})
	must(f.t, err)
	return tok
}

func TestABadgeAnotherKioskPrintedVerifiesHereWithOnlyTheHubKey(t *testing.T) {
	f := setup(t)
	door2 := f.otherKiosk("k2")
	res, err := f.k.VerifyScan(f.ctx, f.kioskToken(door2, seat(f.zoeO, 0), f.clock.Now()))
	must(t, err)
	if !res.OK || res.Attendee.Name != zoe.Name {
		t.Fatalf("badge printed at kiosk k2: %+v", res)
	}
	// And the badges this kiosk prints carry what other kiosks need.
	pr, err := f.k.PrintBadge(f.ctx, seat(f.annO, 0), "Rita")
	must(t, err)
	if !pr.HasQR {
		t.Fatal("badge printed without a QR code")
	}
}

func TestBadgesARevokedKioskSignedAfterItsRevocationAreRefusedWithTheReason(t *testing.T) {
	f := setup(t)
	door2 := f.otherKiosk("k2")
	revokedAt := f.clock.Now().Add(-10 * time.Minute)
	before := f.kioskToken(door2, seat(f.zoeO, 0), revokedAt.Add(-time.Minute))
	after := f.kioskToken(door2, seat(f.zoeO, 0), revokedAt.Add(time.Minute))
	// A kiosk cannot revoke another: the same event recorded by a kiosk is
	// not the hub's word.
	e := onsite.KioskRevoked{ConferenceID: conf, KioskID: "k2", Name: "Door 2", At: revokedAt}
	name, schema, data, err := f.k.Codec().Encode(e)
	must(t, err)
	_, err = f.k.Store().Append(f.ctx, eventstore.Stream{ID: onsite.KioskStreamID("k2"), Type: "onsite.Kiosk"}, eventstore.AnyVersion,
		[]eventstore.Event{{EventID: ids.New(), Type: name, Schema: schema, Data: data}})
	must(t, err)
	must(t, f.k.Refresh(f.ctx))
	if res, err := f.k.VerifyScan(f.ctx, after); err != nil || !res.OK {
		t.Fatalf("revocation recorded by a kiosk was obeyed: %+v %v", res, err)
	}

	f.hub.Now = f.clock.Now()
	must(t, f.hub.Append(f.ctx, onsite.KioskStreamID("k2"), "onsite.Kiosk", e))
	must(t, f.k.Refresh(f.ctx))
	check := func(when string) {
		t.Helper()
		res, err := f.k.VerifyScan(f.ctx, before)
		must(t, err)
		if !res.OK {
			t.Errorf("%s: badge signed before the revocation: %+v, want accepted", when, res)
		}
		res, err = f.k.VerifyScan(f.ctx, after)
		must(t, err)
		want := "Badge signed by kiosk Door 2 after it was revoked at " + revokedAt.Local().Format("15:04:05 Jan 2") + "."
		if res.OK || res.Reason != onsite.DenyKioskRevoked || res.Message != want {
			t.Errorf("%s: badge signed after the revocation: %+v, want %s with %q", when, res, onsite.DenyKioskRevoked, want)
		}
	}
	check("synced")
	// The revocation is in the kiosk's log: it holds after a restart.
	f.reopen()
	check("after a restart")
	// Other kiosks' badges are untouched.
	door3 := f.otherKiosk("k3")
	if res, err := f.k.VerifyScan(f.ctx, f.kioskToken(door3, seat(f.zoeO, 0), f.clock.Now())); err != nil || !res.OK {
		t.Fatalf("kiosk k3's badge after k2's revocation: %+v %v", res, err)
	}
}
