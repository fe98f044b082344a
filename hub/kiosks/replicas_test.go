package kiosks_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"
	"time"

	confsqlite "conference/hub/conferences/sqlite"
	"conference/hub/kiosks"
	"conference/migrations"
	"conference/shared/eventstore/backendtest"
	"conference/shared/onsite"
)

// Two hub replicas share one database (on SQLite, one process twice): the
// rules that must hold across them.
func replicas(t *testing.T) (*fixture, *kiosks.Registry) {
	t.Helper()
	stores := backendtest.Replicas(t, 2, backendtest.Options{Components: []migrations.Component{migrations.Hub, migrations.Kiosks}})
	f := &fixture{store: stores[0], confs: confsqlite.New(stores[0]), now: time.Date(2027, 5, 10, 8, 0, 0, 0, time.UTC)}
	now := func() time.Time { return f.now }
	var err error
	if f.reg, err = kiosks.New(stores[0].DB(), kiosks.Config{Conferences: f.confs, Now: now, Outbox: stores[0]}); err != nil {
		t.Fatal(err)
	}
	other, err := kiosks.New(stores[1].DB(), kiosks.Config{Conferences: confsqlite.New(stores[1]), Now: now, Outbox: stores[1]})
	if err != nil {
		t.Fatal(err)
	}
	return f, other
}

func TestReplicasRacingForAPairingCodePairOnce(t *testing.T) {
	f, other := replicas(t)
	ctx := context.Background()
	org, conf := f.conference(t, "a@example.org", "conf-a")
	for round := 0; round < 10; round++ {
		created, err := f.reg.CreateKiosk(ctx, org, conf, "Door")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make(chan error, 2)
		for _, r := range []*kiosks.Registry{f.reg, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pub, _ := kioskKey(t)
				_, err := r.Pair(ctx, created.PairingCode, pub)
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, kiosks.ErrPairingRefused):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: the code paired %d kiosks", round, ok)
		}
	}
}

func TestReplicasMakingTheFirstSigningKeyAgreeOnOne(t *testing.T) {
	f, other := replicas(t)
	ctx := context.Background()
	keys := make([]ed25519.PublicKey, 2)
	var wg sync.WaitGroup
	for i, r := range []*kiosks.Registry{f.reg, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := r.PublicKey(ctx)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	if !bytes.Equal(keys[0], keys[1]) {
		t.Fatal("two replicas sign with two different hub keys")
	}
}

func TestReplicasRevokingAtOnceRecordTheRevocationOnce(t *testing.T) {
	f, other := replicas(t)
	ctx := context.Background()
	org, conf := f.conference(t, "a@example.org", "conf-a")
	created, err := f.reg.CreateKiosk(ctx, org, conf, "Door")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, r := range []*kiosks.Registry{f.reg, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Revoke(ctx, org, created.Kiosk.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	msgs, err := f.store.PendingMessages(ctx, f.now.Add(24*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Type == (onsite.KioskRevoked{}).EventType() {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the revocation was published %d times", n)
	}
}
