package kiosk

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"conference/badges/token"
	"conference/kiosk/readmodel"
	"conference/sync/kioskclient"
)

// Pair exchanges a one-time pairing code for the kiosk's identity: a
// device credential, the hub's public key and a certificate for a signing
// key made here (the private half never leaves the kiosk). A PIN already
// set is kept. The kiosk id takes effect at the next start, since every
// event the store records carries it.
func (k *Kiosk) Pair(ctx context.Context, hubURL, code string) (Identity, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Identity{}, fmt.Errorf("pair: make signing key: %w", err)
	}
	resp, err := kioskclient.Pair(ctx, hubURL, code, key.Public().(ed25519.PublicKey))
	if err != nil {
		return Identity{}, err
	}
	var cert token.Certificate
	if err := cert.UnmarshalText([]byte(resp.Certificate)); err != nil {
		return Identity{}, fmt.Errorf("pair: hub sent a bad certificate: %w", err)
	}
	id := Identity{
		KioskID: resp.KioskID, HubURL: hubURL, Conferences: resp.Conferences, Credential: resp.Credential,
		SigningKey: key, Certificate: &cert, HubPublicKey: ed25519.PublicKey(resp.HubPublicKey),
	}
	if old, ok := k.Identity(); ok {
		id.PINHash = old.PINHash
	}
	if err := k.SaveIdentity(ctx, id); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// ErrSyncNotPossible is returned by RunSync for a kiosk that cannot sync:
// not paired, or paired while running (restart first).
var ErrSyncNotPossible = errors.New("kiosk cannot sync")

// SyncOptions tune the link to the hub; the zero value is production's.
type SyncOptions struct {
	// TopUpEvery is how often allocations are checked while online (10s).
	TopUpEvery time.Duration
	// MinBackoff and MaxBackoff bound reconnect delays (the client's defaults).
	MinBackoff, MaxBackoff time.Duration
	// DigestEvery is how often, while online and caught up, the kiosk
	// compares its digests with the hub's (2m); it also compares once
	// after catching up on each connection.
	DigestEvery time.Duration
	Logger      *slog.Logger
}

// RunSync keeps the kiosk reconciled with its hub until ctx ends: hub
// events down (applied in hub order), the kiosk's own events up, the
// status bar's online flag and pending count, and seat allocations topped
// up while online. It returns nil when ctx ends, or the hub's permanent
// refusal (revoked, outdated protocol).
func (k *Kiosk) RunSync(ctx context.Context, opts SyncOptions) error {
	id, paired := k.Identity()
	st, err := k.Status(ctx)
	if err != nil {
		return err
	}
	if !paired || st.RestartRequired {
		return fmt.Errorf("%w: paired %v, restart required %v", ErrSyncNotPossible, paired, st.RestartRequired)
	}
	if opts.Logger == nil {
		opts.Logger = k.log
	}
	if opts.TopUpEvery <= 0 {
		opts.TopUpEvery = 10 * time.Second
	}
	if opts.DigestEvery <= 0 {
		opts.DigestEvery = 2 * time.Minute
	}
	statuses := make(chan kioskclient.Status, 1)
	client, err := kioskclient.New(kioskclient.Config{
		HubURL: id.HubURL, KioskID: id.KioskID, Credential: id.Credential, Store: k.store,
		Apply:      k.applyDown,
		MinBackoff: opts.MinBackoff, MaxBackoff: opts.MaxBackoff,
		OnStatus: func(s kioskclient.Status) {
			// Keep only the newest: the status bar wants the present.
			select {
			case <-statuses:
			default:
			}
			statuses <- s
		},
		Logger: opts.Logger,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.followSyncStatus(ctx, client, statuses, opts)
	}()
	err = client.Run(ctx)
	cancel()
	<-done
	k.SetOnline(false)
	if ctx.Err() != nil && err == nil {
		return nil
	}
	return err
}

// followSyncStatus records what the client reports, tops allocations up
// while online, and compares digests with the hub once caught up on each
// connection and every DigestEvery while it stays so.
func (k *Kiosk) followSyncStatus(ctx context.Context, c *kioskclient.Client, statuses <-chan kioskclient.Status, opts SyncOptions) {
	tick := time.NewTicker(opts.TopUpEvery)
	defer tick.Stop()
	digestTick := time.NewTicker(opts.DigestEvery)
	defer digestTick.Stop()
	online := false
	// A grant or a return reaches the kiosk's log a moment after the
	// reply; until then the old allocation must not trigger a second one.
	asked := map[uuid.UUID]time.Time{}
	var (
		last kioskclient.Status
		// compared: a comparison succeeded on this connection; until one
		// does, every caught-up status tries (one at a time).
		compared    atomic.Bool
		lastTry     time.Time
		comparing   = make(chan struct{}, 1)
		comparisons sync.WaitGroup
	)
	defer comparisons.Wait()
	compare := func(s kioskclient.Status) {
		select {
		case comparing <- struct{}{}:
		default:
			return // one at a time
		}
		lastTry = k.now()
		comparisons.Add(1)
		go func() {
			defer comparisons.Done()
			defer func() { <-comparing }()
			err := k.compare(ctx, c, s, opts.Logger)
			switch {
			case err == nil:
				compared.Store(true)
			case errors.Is(err, errNotComparable) || ctx.Err() != nil:
				opts.Logger.Debug("sync: digests not compared", "err", err)
			default:
				opts.Logger.Warn("sync: compare digests with the hub", "err", err)
			}
		}()
	}
	caughtUp := func(s kioskclient.Status) bool {
		return s.Online && s.DownCheckpoint >= s.HubHead && s.Pending() == 0
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-statuses:
			k.SetOnline(s.Online)
			k.hubHead.Store(max(s.HubHead, s.DownCheckpoint))
			if err := k.SetHubSeen(ctx, s.DownCheckpoint); err != nil && ctx.Err() == nil {
				opts.Logger.Warn("sync: save hub position", "err", err)
			}
			if s.UpAcked > 0 {
				if err := k.SetAcked(ctx, s.UpAcked); err != nil && ctx.Err() == nil {
					opts.Logger.Warn("sync: save acknowledgement", "err", err)
				}
			}
			if s.Online && !online {
				k.topUpAllocations(ctx, c, asked, opts)
				compared.Store(false)
			}
			online = s.Online
			last = s
			if caughtUp(s) && (!compared.Load() || k.now().Sub(lastTry) >= opts.DigestEvery) {
				compare(s)
			}
		case <-tick.C:
			if online {
				k.topUpAllocations(ctx, c, asked, opts)
			}
		case <-digestTick.C:
			if caughtUp(last) {
				compare(last)
			}
		}
	}
}

// topUpAllocations keeps the kiosk's leases in step with the seat types'
// policies: it asks the hub for seats of every seat type the kiosk sells
// whose allocation fell below half its configured size, so sales while
// offline later stay inside an allocation, and gives back what is left of
// the lease of a seat type kiosks no longer sell (the organizer closed
// on-site sales), so those seats go back on sale online.
func (k *Kiosk) topUpAllocations(ctx context.Context, c *kioskclient.Client, asked map[uuid.UUID]time.Time, opts SyncOptions) {
	log := opts.Logger
	st, err := k.Status(ctx)
	if err != nil {
		return
	}
	for conference, lines := range st.Allocation {
		for _, l := range lines {
			if at, ok := asked[l.SeatType]; ok && k.now().Sub(at) < 3*opts.TopUpEvery {
				continue
			}
			if !l.Policy.SellableAtKiosks {
				if k.returnLease(ctx, c, conference, l, opts) {
					asked[l.SeatType] = k.now()
				}
				continue
			}
			size := l.Policy.KioskAllocationSize
			if size <= 0 || l.AllocationLeft*2 > size {
				continue
			}
			n, err := c.RequestAllocation(ctx, conference, l.SeatType, size-l.AllocationLeft)
			if err != nil {
				log.Info("sync: allocation not granted", "seat_type", l.Name, "err", err)
				continue
			}
			asked[l.SeatType] = k.now()
			if n == 0 {
				// Asked again after a pause; a line each time would fill
				// the log of a kiosk whose seat type is sold out.
				log.Debug("sync: allocation not topped up: the hub had no seats to grant", "seat_type", l.Name, "asked", size-l.AllocationLeft)
				continue
			}
			log.Info("sync: allocation topped up", "seat_type", l.Name, "granted", n)
		}
	}
}

// returnLease gives back the unsold seats the kiosk holds of a seat type
// it may no longer sell. AllocationLeft already leaves out the kiosk's own
// sales the hub has not applied, so it never exceeds what the hub holds
// for the kiosk. The hub usually takes the lease back itself when the
// organizer closes on-site sales; a refusal then only means it came first.
// It reports whether it asked the hub.
func (k *Kiosk) returnLease(ctx context.Context, c *kioskclient.Client, conference uuid.UUID, l readmodel.InventoryLine, opts SyncOptions) bool {
	if l.AllocationLeft <= 0 {
		return false
	}
	if err := c.ReturnAllocation(ctx, conference, l.SeatType, l.AllocationLeft); err != nil {
		opts.Logger.Info("sync: unsold lease not returned", "seat_type", l.Name, "seats", l.AllocationLeft, "err", err)
		return true
	}
	opts.Logger.Info("sync: unsold lease returned: seat type no longer sold at kiosks", "seat_type", l.Name, "seats", l.AllocationLeft)
	return true
}
