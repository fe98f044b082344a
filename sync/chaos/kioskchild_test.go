package chaos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"conference/kiosk"
	"conference/kiosk/readmodel"
	"conference/shared/onsite"
	"conference/shared/registrations"
	"conference/sync/digest"
)

// kioskState is what a quiet kiosk reports.
type kioskState struct {
	Online  bool              `json:"online"`
	Pending int64             `json:"pending"`
	HubSeen int64             `json:"hub_seen"`
	Digest  map[string]string `json:"digest"`
}

// runKiosk syncs the kiosk with its hub (through its proxy) and, until
// quiet, acts as its door staff: check-ins and walk-up workshop sales.
func runKiosk(ctx context.Context, c *child) error {
	k, err := kiosk.Open(ctx, kiosk.Config{Path: c.cfg.DB, Logger: c.log})
	if err != nil {
		return err
	}
	defer k.Close()
	synced := make(chan error, 1)
	go func() {
		synced <- k.RunSync(ctx, kiosk.SyncOptions{
			TopUpEvery: 200 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, Logger: c.log,
		})
	}()
	c.emit("ready")
	acted := make(chan error, 1)
	go func() { acted <- (&desk{c: c, k: k}).run(ctx) }()
	go c.reportState(ctx, func(ctx context.Context) (any, error) {
		st, err := k.Status(ctx)
		if err != nil {
			return nil, err
		}
		d, err := digest.Compute(ctx, k.Store(), c.cfg.Conference)
		return kioskState{Online: st.Online, Pending: st.PendingUpload, HubSeen: st.HubSeen, Digest: d}, err
	})
	select {
	case err := <-synced:
		if ctx.Err() == nil {
			return fmt.Errorf("sync ended while running: %v", err)
		}
		return <-acted
	case err := <-acted:
		if err != nil {
			return err
		}
		c.emit("quiet")
		if err := <-synced; err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		return nil
	}
}

// desk is the door staff of one kiosk.
type desk struct {
	c *child
	k *kiosk.Kiosk
	n int
}

// run acts until quiet; an error is a failure the harness reports (a
// kiosk that cannot record, an action refused for no good reason).
func (d *desk) run(ctx context.Context) error {
	for d.c.pause(ctx) {
		var err error
		if d.c.float() < 0.25 {
			err = d.sell(ctx)
		} else {
			err = d.checkIn(ctx)
		}
		if err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// sell sells one or two workshop seats to a walk-up attendee: inside the
// allocation while it lasts, past it afterwards (the seat type allows it).
func (d *desk) sell(ctx context.Context) error {
	cfg := d.c.cfg
	if _, ok := d.k.Model().SeatType(cfg.Conference, cfg.Workshop); !ok {
		return nil // the conference has not reached this kiosk yet
	}
	d.n++
	qty := 1
	if d.c.float() < 0.15 {
		qty = 2
	}
	name := fmt.Sprintf("Walker %s %d-%d", cfg.Name, cfg.Seed%1000, d.n)
	res, err := d.k.WalkUpSale(ctx, kiosk.WalkUpRequest{
		ConferenceID: cfg.Conference, Seats: registrations.Seats{{SeatType: cfg.Workshop, Quantity: qty}},
		Name: name, Email: strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@example.org",
		Payment: registrations.PaymentCash, Staff: "Staff " + cfg.Name,
	})
	if err != nil {
		return fmt.Errorf("walk-up sale of %d: %w", qty, err)
	}
	evs, err := d.k.Store().ReadStream(ctx, registrations.OrderStreamID(res.OrderID), 0)
	if err != nil || len(evs) == 0 || evs[0].Type != (registrations.WalkUpOrderPlaced{}).EventType() {
		return fmt.Errorf("walk-up sale %s confirmed but its stream reads %d events (%v)", res.OrderID, len(evs), err)
	}
	d.c.emit("ack walkup %s %s %s %d", res.OrderID, evs[0].EventID, res.Outcome, qty)
	return nil
}

// checkIn lets an attendee in. Half the time it takes the first one not
// yet in, in an order every kiosk shares, so kiosks cut off from each
// other admit the same person; otherwise anyone not yet in.
func (d *desk) checkIn(ctx context.Context) error {
	cfg := d.c.cfg
	m := d.k.Model()
	var open []readmodel.AttendeeView
	for _, q := range []string{"person", "walker"} {
		for _, a := range m.Find(cfg.Conference, q, 100000) {
			if !a.CheckedIn() {
				open = append(open, a)
			}
		}
	}
	if len(open) == 0 {
		return nil
	}
	slices.SortFunc(open, func(a, b readmodel.AttendeeView) int { return strings.Compare(a.Seat.String(), b.Seat.String()) })
	a := open[0]
	if d.c.float() < 0.5 {
		a = open[d.c.intN(len(open))]
	}
	_, err := d.k.CheckIn(ctx, a.Seat, "Staff "+cfg.Name)
	var dup *kiosk.DuplicateCheckInError
	switch {
	case errors.As(err, &dup), errors.Is(err, kiosk.ErrAttendeeNotFound):
		return nil // arrived from elsewhere, or the order was cancelled, meanwhile
	case err != nil:
		return fmt.Errorf("check in %s: %w", a.Seat, err)
	}
	evs, err := d.k.Store().ReadStream(ctx, onsite.AttendanceStreamID(a.Seat), 0)
	if err != nil {
		return fmt.Errorf("read attendance of %s: %w", a.Seat, err)
	}
	me := d.k.Store().Node()
	for i := len(evs) - 1; i >= 0; i-- {
		if e := evs[i]; e.Origin == me && e.Type == (onsite.AttendeeCheckedIn{}).EventType() {
			d.c.emit("ack checkin %s %s", e.EventID, a.Seat)
			return nil
		}
	}
	return fmt.Errorf("check-in of %s confirmed but not in the attendance stream", a.Seat)
}
