package kiosks_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/badges/token"
	"conference/hub/conferences"
	confsqlite "conference/hub/conferences/sqlite"
	"conference/hub/kiosks"
	"conference/migrations"
	"conference/shared/eventstore/backendtest"
	"conference/shared/onsite"
)

type fixture struct {
	store backendtest.Store
	confs *confsqlite.Service
	reg   *kiosks.Registry
	now   time.Time
}

func open(t *testing.T) *fixture {
	t.Helper()
	store := backendtest.Open(t, backendtest.Options{Components: []migrations.Component{migrations.Hub, migrations.Kiosks}})
	var err error
	f := &fixture{store: store, confs: confsqlite.New(store), now: time.Date(2027, 5, 10, 8, 0, 0, 0, time.UTC)}
	f.reg, err = kiosks.New(store.DB(), kiosks.Config{Conferences: f.confs, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) conference(t *testing.T, email, slug string) (org, conf uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	o, err := f.confs.CreateOrganizer(ctx, conferences.NewOrganizer{Email: email, DisplayName: email})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2027, 5, 10, 9, 0, 0, 0, time.UTC)
	c, err := f.confs.CreateConference(ctx, o.ID, conferences.ConferenceDetails{Slug: slug, Name: slug,
		TimeZone: "Europe/Lisbon", StartsAt: start, EndsAt: start.Add(48 * time.Hour), Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	return o.ID, c.ID
}

func kioskKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestPairingCodeWorksOnceAndGivesACredentialAndACertificate(t *testing.T) {
	f := open(t)
	ctx := context.Background()
	org, conf := f.conference(t, "a@example.org", "conf-a")
	created, err := f.reg.CreateKiosk(ctx, org, conf, "Door 1")
	if err != nil {
		t.Fatal(err)
	}
	if len(created.PairingCode) != 9 || !created.ExpiresAt.Equal(f.now.Add(24*time.Hour)) {
		t.Fatalf("code %q expires %s", created.PairingCode, created.ExpiresAt)
	}
	pub, priv := kioskKey(t)
	// People type codes in lower case and without the hyphen.
	typed := strings.ToLower(strings.ReplaceAll(created.PairingCode, "-", ""))
	p, err := f.reg.Pair(ctx, typed, pub)
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	if p.Kiosk.KioskID != created.Kiosk.ID || p.Kiosk.ConferenceID != conf || !strings.HasPrefix(p.Credential, "kc_") {
		t.Fatalf("pairing %+v", p)
	}
	id, err := f.reg.Authenticate(ctx, p.Credential)
	if err != nil || id.KioskID != created.Kiosk.ID {
		t.Fatalf("authenticate: %+v, %v", id, err)
	}
	// The certificate lets any verifier trust badges the kiosk key signs.
	v, _ := token.NewVerifier(p.HubPublicKey)
	if err := v.AddCertificate(p.Certificate); err != nil {
		t.Fatalf("certificate: %v", err)
	}
	signer, err := token.NewKioskSigner(priv, p.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := signer.Sign(token.Claims{Conference: conf.String(), Seat: "s1", IssuedAt: f.now})
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("verify kiosk-signed token: %v", err)
	}
	// Replaying the code fails, and nothing secret is stored in clear.
	if _, err := f.reg.Pair(ctx, created.PairingCode, pub); !errors.Is(err, kiosks.ErrPairingRefused) {
		t.Fatalf("replayed code: %v", err)
	}
	assertNotStored(t, f, p.Credential, created.PairingCode)
}

func assertNotStored(t *testing.T, f *fixture, secrets ...string) {
	t.Helper()
	rows, err := f.store.DB().Query(`SELECT id, name, COALESCE(certificate, ''), credential_hash, pairing_code_hash FROM kiosks`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, b, c string
		var d, e []byte
		if err := rows.Scan(&a, &b, &c, &d, &e); err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			for _, col := range [][]byte{[]byte(a), []byte(b), []byte(c), d, e} {
				if bytes.Contains(col, []byte(s)) {
					t.Fatalf("secret %q stored in clear", s)
				}
			}
		}
	}
}

func TestForgedExpiredAndMalformedCodesAreRefused(t *testing.T) {
	f := open(t)
	ctx := context.Background()
	org, conf := f.conference(t, "a@example.org", "conf-a")
	created, _ := f.reg.CreateKiosk(ctx, org, conf, "Door 1")
	pub, _ := kioskKey(t)
	for _, code := range []string{"ABCD-EFGH", "", "x", strings.Repeat("A", 500)} {
		if _, err := f.reg.Pair(ctx, code, pub); !errors.Is(err, kiosks.ErrPairingRefused) {
			t.Fatalf("code %q: %v", code, err)
		}
	}
	if _, err := f.reg.Pair(ctx, created.PairingCode, pub[:10]); !errors.Is(err, kiosks.ErrInvalid) {
		t.Fatalf("short key: %v", err)
	}
	f.now = f.now.Add(24*time.Hour + time.Second)
	if _, err := f.reg.Pair(ctx, created.PairingCode, pub); !errors.Is(err, kiosks.ErrPairingRefused) {
		t.Fatalf("expired code: %v", err)
	}
	if _, err := f.reg.Authenticate(ctx, "kc_forged"); !errors.Is(err, kiosks.ErrUnauthorized) {
		t.Fatalf("forged credential: %v", err)
	}
}

func TestRevokedKioskIsRefusedAndListenersAreTold(t *testing.T) {
	f := open(t)
	ctx := context.Background()
	org, conf := f.conference(t, "a@example.org", "conf-a")
	created, _ := f.reg.CreateKiosk(ctx, org, conf, "Door 1")
	pub, _ := kioskKey(t)
	p, err := f.reg.Pair(ctx, created.PairingCode, pub)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	cancel := f.reg.OnRevoke(func(id string) { told = append(told, id) })
	defer cancel()
	if err := f.reg.Revoke(ctx, org, created.Kiosk.ID); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || told[0] != created.Kiosk.ID {
		t.Fatalf("listeners told %v", told)
	}
	if _, err := f.reg.Authenticate(ctx, p.Credential); !errors.Is(err, kiosks.ErrRevoked) {
		t.Fatalf("revoked credential: %v", err)
	}
	k, _ := f.reg.Get(ctx, org, created.Kiosk.ID)
	if !k.Revoked() || !k.Paired() {
		t.Fatalf("kiosk %+v", k)
	}
}

func TestAnotherTenantsKioskIsNotFound(t *testing.T) {
	f := open(t)
	ctx := context.Background()
	orgA, confA := f.conference(t, "a@example.org", "conf-a")
	orgB, confB := f.conference(t, "b@example.org", "conf-b")
	created, _ := f.reg.CreateKiosk(ctx, orgA, confA, "Door 1")
	if _, err := f.reg.CreateKiosk(ctx, orgB, confA, "Sneaky"); !errors.Is(err, kiosks.ErrNotFound) {
		t.Fatalf("kiosk for another tenant's conference: %v", err)
	}
	if _, err := f.reg.Get(ctx, orgB, created.Kiosk.ID); !errors.Is(err, kiosks.ErrNotFound) {
		t.Fatalf("get: %v", err)
	}
	if err := f.reg.Revoke(ctx, orgB, created.Kiosk.ID); !errors.Is(err, kiosks.ErrNotFound) {
		t.Fatalf("revoke: %v", err)
	}
	if list, _ := f.reg.List(ctx, orgB, confA); len(list) != 0 {
		t.Fatalf("list shows %d of another tenant's kiosks", len(list))
	}
	if list, _ := f.reg.List(ctx, orgB, confB); len(list) != 0 {
		t.Fatalf("list: %v", list)
	}
	if _, err := f.reg.CreateKiosk(ctx, orgA, confA, "  "); !errors.Is(err, kiosks.ErrInvalid) {
		t.Fatalf("blank name: %v", err)
	}
}

func TestPresenceShowsInTheListAndTheSigningKeyIsKept(t *testing.T) {
	f := open(t)
	ctx := context.Background()
	org, conf := f.conference(t, "a@example.org", "conf-a")
	created, _ := f.reg.CreateKiosk(ctx, org, conf, "Door 1")
	seen := f.now.Add(time.Minute)
	if err := f.reg.RecordPresence(ctx, []kiosks.Presence{{KioskID: created.Kiosk.ID, At: seen, DownCheckpoint: 40,
		UpAcked: 7, PendingUploads: 3, Software: "kiosk/1"}}); err != nil {
		t.Fatal(err)
	}
	list, err := f.reg.List(ctx, org, conf)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v, %v", list, err)
	}
	k := list[0]
	if !k.LastSeen.Equal(seen) || k.PendingUploads != 3 || k.UpAcked != 7 || k.DownCheckpoint != 40 || k.Name != "Door 1" {
		t.Fatalf("kiosk %+v", k)
	}
	key1, err := f.reg.PublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := kiosks.New(f.store.DB(), kiosks.Config{Conferences: f.confs})
	key2, _ := again.PublicKey(ctx)
	if !key1.Equal(key2) {
		t.Fatal("signing key changed between registries on the same database")
	}
}

// The first revocation is published, in the same transaction, for the
// conference's other kiosks to learn; a second one changes nothing, and a
// refused one publishes nothing.
func TestARevocationIsPublishedOnceWithItsTime(t *testing.T) {
	f := open(t)
	ctx := context.Background()
	reg, err := kiosks.New(f.store.DB(), kiosks.Config{Conferences: f.confs, Now: func() time.Time { return f.now }, Outbox: f.store})
	if err != nil {
		t.Fatal(err)
	}
	org, conf := f.conference(t, "a@example.org", "conf-a")
	orgB, _ := f.conference(t, "b@example.org", "conf-b")
	created, _ := reg.CreateKiosk(ctx, org, conf, "Door 1")
	if err := reg.Revoke(ctx, orgB, created.Kiosk.ID); !errors.Is(err, kiosks.ErrNotFound) {
		t.Fatalf("another tenant's revocation: %v", err)
	}
	first := f.now
	if err := reg.Revoke(ctx, org, created.Kiosk.ID); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	if err := reg.Revoke(ctx, org, created.Kiosk.ID); err != nil {
		t.Fatal(err)
	}
	msgs, err := f.store.PendingMessages(ctx, f.now.Add(24*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []onsite.KioskRevoked
	for _, m := range msgs {
		if m.Type == (onsite.KioskRevoked{}).EventType() {
			var r onsite.KioskRevoked
			if err := json.Unmarshal(m.Data, &r); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
	}
	want := onsite.KioskRevoked{ConferenceID: conf, KioskID: created.Kiosk.ID, Name: "Door 1", At: first}
	if len(got) != 1 || got[0].ConferenceID != want.ConferenceID || got[0].KioskID != want.KioskID ||
		got[0].Name != want.Name || !got[0].At.Equal(want.At) {
		t.Fatalf("published %+v, want once %+v", got, want)
	}
	if k, _ := reg.Get(ctx, org, created.Kiosk.ID); !k.RevokedAt.Equal(first) {
		t.Fatalf("revoked at %s, want the first revocation %s", k.RevokedAt, first)
	}
}

func TestAPairingCodeLastsADayAndTheOrganizerCanCancelIt(t *testing.T) {
	f := open(t)
	ctx := context.Background()
	org, conf := f.conference(t, "a@example.org", "conf-a")
	other, _ := f.conference(t, "b@example.org", "conf-b")
	pub, _ := kioskKey(t)

	// Created the day before, paired at the venue the next morning.
	early, _ := f.reg.CreateKiosk(ctx, org, conf, "Door 1")
	f.now = f.now.Add(23 * time.Hour)
	if _, err := f.reg.Pair(ctx, early.PairingCode, pub); err != nil {
		t.Fatalf("a code 23 hours old: %v", err)
	}

	// A cancelled code pairs nothing, and the list says it was cancelled.
	created, _ := f.reg.CreateKiosk(ctx, org, conf, "Door 2")
	if err := f.reg.CancelPairing(ctx, other, created.Kiosk.ID); !errors.Is(err, kiosks.ErrNotFound) {
		t.Fatalf("another tenant cancelled the code: %v", err)
	}
	if err := f.reg.CancelPairing(ctx, org, created.Kiosk.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.reg.CancelPairing(ctx, org, created.Kiosk.ID); err != nil {
		t.Fatalf("cancelling twice: %v", err)
	}
	if _, err := f.reg.Pair(ctx, created.PairingCode, pub); !errors.Is(err, kiosks.ErrPairingRefused) {
		t.Fatalf("cancelled code: %v", err)
	}
	k, err := f.reg.Get(ctx, org, created.Kiosk.ID)
	if err != nil || !k.PairingCancelled() || k.Paired() {
		t.Fatalf("after cancelling: %+v %v", k, err)
	}
	// Cancelling a used code changes nothing.
	if err := f.reg.CancelPairing(ctx, org, early.Kiosk.ID); err != nil {
		t.Fatal(err)
	}
	if k, _ := f.reg.Get(ctx, org, early.Kiosk.ID); !k.Paired() || k.PairingCancelled() {
		t.Fatalf("a paired kiosk after cancelling: %+v", k)
	}
	all, err := f.reg.All(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("all kiosks: %d %v", len(all), err)
	}
}
