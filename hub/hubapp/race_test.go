package hubapp_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/hub/hubapp/hubtest"
	"conference/shared/registrations"
)

// Many registrants racing for the last seats of the small workshop: every
// order is refused up front (none left when it arrived) or settles, and
// exactly the quota is reserved, never more.
func TestTwoHundredRegistrantsRaceForTenSeats(t *testing.T) {
	if testing.Short() {
		t.Skip("places 200 orders")
	}
	ctx := context.Background()
	h := hubtest.Open(t)
	f := hubtest.PublishedConference(t, h)
	clients := 200
	if raceEnabled {
		clients = 40 // still four per seat; -race makes each order ~15x slower
	}
	orders := make([]uuid.UUID, clients)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			placed, err := h.Registrations.PlaceOrder(ctx, f.ConferenceID,
				registrations.Seats{{SeatType: f.Workshop, Quantity: 1}}, "", h.Now())
			if err != nil {
				if !errors.Is(err, registrations.ErrSeatsUnavailable) {
					errs <- err
				}
				return
			}
			orders[i] = placed.OrderID
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("place order: %v", err)
	}
	orders = slices.DeleteFunc(orders, func(id uuid.UUID) bool { return id == uuid.Nil })
	// Check only the orders not settled yet, and not too often: the
	// workers need the CPU more than this loop.
	reserved, pending := 0, orders
	hubtest.Eventually(t, 60*time.Second, "every order reserved or rejected", func() error {
		time.Sleep(50 * time.Millisecond)
		var still []uuid.UUID
		for _, id := range pending {
			o, err := h.Registrations.GetOrder(ctx, id)
			if err != nil {
				return err
			}
			switch o.Status {
			case registrations.OrderStatusReserved:
				reserved += o.Reserved.Get(f.Workshop)
			case registrations.OrderStatusRejected:
			default:
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) > 0 {
			return fmt.Errorf("%d orders not settled", len(pending))
		}
		return nil
	})
	a, err := h.Registrations.Availability(ctx, f.ConferenceID)
	if err != nil {
		t.Fatal(err)
	}
	if reserved != hubtest.WorkshopQuota || a.ReservedCount(f.Workshop) != hubtest.WorkshopQuota || a.Remaining(f.Workshop) != 0 {
		t.Fatalf("got %d seats on reserved orders, %d reserved in availability; want exactly %d",
			reserved, a.ReservedCount(f.Workshop), hubtest.WorkshopQuota)
	}
}
