package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp"
	"conference/hub/payments"
	registrationsapp "conference/hub/registrations"
	"conference/hub/server"
	"conference/shared/registrations"
	"conference/sync/digest"
)

// hubListenerFD is the listening socket the harness hands every hub
// incarnation (cmd.ExtraFiles[0]): the port stays the same across kills,
// so the proxies in front of it never need to be told.
const hubListenerFD = 3

// hubState is what a quiet hub reports.
type hubState struct {
	Head   int64             `json:"head"`
	Digest map[string]string `json:"digest"`
}

// runHub serves the hub on the inherited listener and, until quiet, sells
// online: orders placed, paid, confirmed and their seats named, now and
// then a cancellation or a seat-quota conflict resolved.
func runHub(ctx context.Context, c *child) error {
	h, err := hubapp.Open(ctx, hubapp.Config{DB: c.cfg.DB, MailDir: c.cfg.MailDir, Logger: c.log, BusPoll: 20 * time.Millisecond})
	if err != nil {
		return err
	}
	ln, err := net.FileListener(os.NewFile(hubListenerFD, "hub-listener"))
	if err != nil {
		h.Close()
		return fmt.Errorf("inherited listener: %w", err)
	}
	handler, err := server.New(h)
	if err != nil {
		h.Close()
		return err
	}
	workCtx, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	ran := make(chan error, 1)
	go func() { ran <- h.Run(workCtx) }()
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, ln, handler, server.Lifecycle{Grace: 2 * time.Second}, c.log) }()
	c.emit("ready")

	s := &seller{c: c, h: h}
	var actors sync.WaitGroup
	for range 2 {
		actors.Add(1)
		go func() {
			defer actors.Done()
			s.run(ctx)
		}()
	}
	go func() {
		actors.Wait()
		if ctx.Err() == nil {
			c.emit("quiet")
		}
	}()
	go c.reportState(ctx, func(ctx context.Context) (any, error) {
		head, err := h.Store.Head(ctx)
		if err != nil {
			return nil, err
		}
		d, err := digest.Compute(ctx, h.Store, c.cfg.Conference)
		return hubState{Head: head, Digest: d}, err
	})

	var errs []error
	select {
	case err := <-served:
		errs = append(errs, fmt.Errorf("serve: %w", err))
	case err := <-ran:
		errs = append(errs, fmt.Errorf("hub workers stopped: %w", err))
	case <-ctx.Done():
		if err := <-served; err != nil {
			errs = append(errs, fmt.Errorf("serve: %w", err))
		}
	}
	actors.Wait()
	// Kiosk connections first, so no upload lands while the workers stop.
	h.Sync.Close()
	stopWork()
	if err := <-ran; err != nil {
		errs = append(errs, err)
	}
	if err := h.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close hub: %w", err))
	}
	return errors.Join(errs...)
}

// seller is the hub's online registrants and organizer.
type seller struct {
	c *child
	h *hubapp.Hub

	mu        sync.Mutex
	confirmed []uuid.UUID
	n         int
}

func (s *seller) run(ctx context.Context) {
	for s.c.pause(ctx) {
		var err error
		switch r := s.c.float(); {
		case r < 0.06:
			err = s.cancelOne(ctx)
		case r < 0.10:
			err = s.resolveConflict(ctx)
		default:
			err = s.sell(ctx)
		}
		if err != nil && ctx.Err() == nil {
			// Sold out, a payment that never came while the workers were
			// busy: a registrant walks away. Only the logs care.
			s.c.log.Info("online sale step failed", "err", err)
		}
	}
}

// sell runs one registrant through the site: place, name, pay, wait for
// confirmation, name the attendees of every seat.
func (s *seller) sell(ctx context.Context) error {
	cfg := s.c.cfg
	var seats registrations.Seats
	switch r := s.c.float(); {
	case r < 0.55:
		seats = registrations.Seats{{SeatType: cfg.Paid, Quantity: 1 + s.c.intN(2)}}
	case r < 0.9:
		seats = registrations.Seats{{SeatType: cfg.Free, Quantity: 1 + s.c.intN(2)}}
	default:
		seats = registrations.Seats{{SeatType: cfg.Workshop, Quantity: 1}}
	}
	placed, err := s.h.Registrations.PlaceOrder(ctx, cfg.Conference, seats, "", s.h.Now())
	if err != nil {
		return err
	}
	id := placed.OrderID
	s.c.emit("ack order %s", id)
	if err := s.h.Registrations.SetRegistrant(ctx, id, "Buyer "+id.String()[:8], "buyer-"+id.String()[:8]+"@example.org"); err != nil {
		return err
	}
	o, err := s.waitOrder(ctx, id, func(o registrationsapp.OrderView) bool {
		return o.Status == registrations.OrderStatusConfirmed || ended(o.Status) || o.PaymentPending
	})
	if err != nil {
		return err
	}
	if o.PaymentPending && o.Status != registrations.OrderStatusConfirmed {
		pay, err := s.pendingPayment(ctx, id)
		if err != nil {
			return err
		}
		if _, err := s.h.Payments.Accept(ctx, pay.ID); err != nil {
			return err
		}
		if o, err = s.waitOrder(ctx, id, func(o registrationsapp.OrderView) bool {
			return o.Status == registrations.OrderStatusConfirmed || ended(o.Status)
		}); err != nil {
			return err
		}
	}
	if o.Status != registrations.OrderStatusConfirmed {
		return fmt.Errorf("order %s ended %s", id, o.Status)
	}
	positions, err := s.h.Registrations.Seats(ctx, id)
	if err != nil {
		return err
	}
	var changes []registrationsapp.Assignment
	for _, p := range positions {
		s.mu.Lock()
		s.n++
		n := s.n
		s.mu.Unlock()
		changes = append(changes, registrationsapp.Assignment{Position: p.Position, Attendee: &registrations.Attendee{
			Name:  fmt.Sprintf("Person %s %d", id.String()[:6], n),
			Email: fmt.Sprintf("person-%s-%d@example.org", id.String()[:8], p.Position),
		}})
	}
	if _, err := s.h.Registrations.AssignSeats(ctx, id, changes); err != nil {
		return err
	}
	s.c.emit("ack assign %s", id)
	s.mu.Lock()
	s.confirmed = append(s.confirmed, id)
	s.mu.Unlock()
	return nil
}

// waitOrder polls the order until done says so, for at most 15 s.
func (s *seller) waitOrder(ctx context.Context, id uuid.UUID, done func(registrationsapp.OrderView) bool) (registrationsapp.OrderView, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		o, err := s.h.Registrations.GetOrder(ctx, id)
		if err == nil && done(o) {
			return o, nil
		}
		if time.Now().After(deadline) {
			return o, fmt.Errorf("order %s still %s after 15 s (%v)", id, o.Status, err)
		}
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *seller) pendingPayment(ctx context.Context, id uuid.UUID) (payments.Payment, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		list, err := s.h.Payments.ForOrder(ctx, id)
		if err == nil && len(list) > 0 && list[len(list)-1].Status == payments.StatusPending {
			return list[len(list)-1], nil
		}
		if time.Now().After(deadline) {
			return payments.Payment{}, fmt.Errorf("no pending payment for order %s after 15 s (%v)", id, err)
		}
		select {
		case <-ctx.Done():
			return payments.Payment{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// cancelOne cancels one of the orders this incarnation confirmed: its
// attendees vanish from the kiosks, perhaps after one was checked in.
func (s *seller) cancelOne(ctx context.Context) error {
	s.mu.Lock()
	if len(s.confirmed) == 0 {
		s.mu.Unlock()
		return nil
	}
	i := s.c.intN(len(s.confirmed))
	id := s.confirmed[i]
	s.confirmed = append(s.confirmed[:i], s.confirmed[i+1:]...)
	s.mu.Unlock()
	if err := s.h.Registrations.CancelOrder(ctx, id, "chaos: registrant cancelled"); err != nil {
		return err
	}
	s.c.emit("ack cancel %s", id)
	return nil
}

// resolveConflict is the organizer raising the quota for the oldest open
// seat-quota conflict; the resolution flows back to the kiosks.
func (s *seller) resolveConflict(ctx context.Context) error {
	cfg := s.c.cfg
	av, err := s.h.Registrations.Availability(ctx, cfg.Conference)
	if err != nil {
		return err
	}
	open := av.OpenConflicts()
	if len(open) == 0 {
		return nil
	}
	e, err := s.h.ResolveSeatConflict(ctx, cfg.Organizer, cfg.Conference, open[0].Number,
		registrations.Resolution{Kind: registrations.ResolveRaiseQuota, Note: "chaos: room found"})
	if err != nil {
		return err
	}
	s.c.emit("ack resolve %d", e.Conflict)
	return nil
}

// ended reports the statuses an order never leaves on its own.
func ended(s registrations.OrderStatus) bool {
	return s == registrations.OrderStatusExpired || s == registrations.OrderStatusRejected || s == registrations.OrderStatusCancelled
}
