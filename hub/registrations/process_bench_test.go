package registrationsapp_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
)

// BenchmarkCompleteOrders runs the whole pipeline without HTTP: place,
// wait for the reservation, pay through the fake processor, wait for the
// confirmation, with 50 concurrent registrants on a real hub. It is the
// profiling harness for the process manager and the bus:
//
//	go test ./hub/registrations -run '^$' -bench CompleteOrders -cpuprofile cpu.out
func BenchmarkCompleteOrders(b *testing.B) {
	h := hubtest.Open(b)
	f := hubtest.PublishedConference(b, h)
	// Enough seats for any b.N, raised where quotas are kept: Conference
	// Management, which brings them to the inventory.
	list, err := h.Conferences.ListSeatTypes(context.Background(), f.OrganizerID, f.ConferenceID)
	if err != nil {
		b.Fatal(err)
	}
	d := list[0].SeatTypeDetails
	d.Quota = conferences.MaxQuota
	if _, err := h.Conferences.UpdateSeatType(context.Background(), f.OrganizerID, f.ConferenceID, f.Paid, d, h.Sold); err != nil {
		b.Fatal(err)
	}
	hubtest.WaitForQuotas(b, h, f.ConferenceID, map[uuid.UUID]int{f.Paid: conferences.MaxQuota})
	w := newWatcher(h)
	defer w.stop()
	const clients = 50
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := completeOrder(h, w, f); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
	for i, name := range phaseNames {
		b.ReportMetric(float64(phases[i].Load())/float64(b.N)/1e6, name+"-ms")
	}
	if firstErr != nil {
		b.Fatal(firstErr)
	}
}

var (
	phaseNames = []string{"place", "reserved", "start", "accept", "confirmed"}
	phases     [5]atomic.Int64 // nanoseconds spent in each phase, all orders
)

func completeOrder(h *hubapp.Hub, w *watcher, f hubtest.Fixture) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t := time.Now()
	lap := func(i int) {
		now := time.Now()
		phases[i].Add(int64(now.Sub(t)))
		t = now
	}
	placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID, registrations.Seats{{SeatType: f.Paid, Quantity: 1}}, "", time.Now())
	if err != nil {
		return err
	}
	lap(0)
	if err := w.waitWhile(ctx, h, placed.OrderID, registrations.OrderStatusPending); err != nil {
		return err
	}
	lap(1)
	var payment uuid.UUID
	for {
		p, err := h.Payments.Start(ctx, placed.OrderID)
		if err == nil {
			payment = p.ID
			break
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Millisecond):
		}
	}
	lap(2)
	if _, err := h.Payments.Accept(ctx, payment); err != nil {
		return err
	}
	lap(3)
	err = w.waitWhile(ctx, h, placed.OrderID, registrations.OrderStatusReserved)
	lap(4)
	return err
}

// watcher wakes the registrants waiting on an order's stream, following the
// log once for all of them.
type watcher struct {
	mu      sync.Mutex
	waiters map[string][]chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

func newWatcher(h *hubapp.Hub) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{waiters: map[string][]chan struct{}{}, cancel: cancel, done: make(chan struct{})}
	pos, _ := h.Store.Head(ctx)
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			evs, err := h.Store.ReadLog(ctx, pos, 1000)
			if err != nil {
				return
			}
			w.mu.Lock()
			for _, e := range evs {
				for _, ch := range w.waiters[e.StreamID] {
					close(ch)
				}
				delete(w.waiters, e.StreamID)
				pos = e.Position
			}
			w.mu.Unlock()
			if len(evs) == 0 {
				if h.Store.WaitForAppend(ctx, pos) != nil {
					return
				}
			}
		}
	}()
	return w
}

func (w *watcher) stop() { w.cancel(); <-w.done }

func (w *watcher) waitWhile(ctx context.Context, h *hubapp.Hub, orderID uuid.UUID, status registrations.OrderStatus) error {
	stream := registrations.OrderStreamID(orderID)
	for {
		ch := make(chan struct{})
		w.mu.Lock()
		w.waiters[stream] = append(w.waiters[stream], ch)
		w.mu.Unlock()
		o, err := h.Registrations.GetOrder(ctx, orderID)
		if err != nil {
			return err
		}
		if o.Status != status {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
