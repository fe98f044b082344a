package registrationsapp

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"conference/shared/registrations"
)

const killEnv = "REGISTRATIONS_KILL_TEST_DB"

// helperPlaced is the line the helper prints once it placed an order.
const helperPlaced = "kill-test: placed"

// TestKilledHubHelper is the child of TestHubKilledMidFlowFinishesEveryOrder:
// a hub placing orders and running the process manager and the bus until
// it is killed.
func TestKilledHubHelper(t *testing.T) {
	path := os.Getenv(killEnv)
	if path == "" {
		t.Skip("helper process of TestHubKilledMidFlowFinishesEveryOrder")
	}
	h := newHubAt(t, path, uuid.MustParse(os.Getenv(killEnv+"_CONF")), uuid.MustParse(os.Getenv(killEnv+"_PAID")),
		uuid.MustParse(os.Getenv(killEnv+"_FREE")), true)
	ctx := context.Background()
	go h.app.Process.Run(ctx)
	go h.bus.Run(ctx)
	for placed := 0; ; placed++ {
		if placed == 1 {
			fmt.Println(helperPlaced) // the parent kills only after this
		}
		seatType := h.paid
		if rand.IntN(4) == 0 {
			seatType = h.free
		}
		if _, err := h.app.Registrations.PlaceOrder(ctx, h.conference, seats(seatType, 1+rand.IntN(3)), "", h.clock.Now()); err != nil {
			t.Error(err)
		}
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
	}
}

// A hub killed (SIGKILL) at random moments mid-flow, restarted, finishes
// every order consistently: each is confirmed, expired or rejected; sold
// seats are exactly the confirmed orders' seats; nothing stays reserved;
// no money is kept for an order that was not confirmed.
func TestHubKilledMidFlowFinishesEveryOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	path := filepath.Join(t.TempDir(), "hub.db")
	conf, paid, free := uuid.New(), uuid.New(), uuid.New()
	h := newHubAt(t, path, conf, paid, free, true)
	h.must(h.store.Close())

	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHubHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), killEnv+"="+path, killEnv+"_CONF="+conf.String(),
			killEnv+"_PAID="+paid.String(), killEnv+"_FREE="+free.String())
		out, err := cmd.StdoutPipe()
		h.must(err)
		h.must(cmd.Start())
		// On a loaded machine the child may take longer to start than the
		// kill's delay: wait until it placed an order, then kill at random.
		placed := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == helperPlaced {
					placed <- true
				}
			}
			close(placed)
		}()
		select {
		case ok := <-placed:
			if !ok {
				t.Fatalf("round %d: helper ended before placing an order", round)
			}
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("round %d: helper placed no order in 60 s", round)
		}
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		h.must(cmd.Process.Signal(syscall.SIGKILL))
		if err := cmd.Wait(); err == nil {
			t.Fatalf("round %d: helper exited on its own, want it killed", round)
		}
	}

	h.start()
	h.settle()
	h.clock.Advance(registrations.DefaultReservationWindow + time.Minute)
	h.settle()

	ctx := context.Background()
	log, err := h.store.ReadLog(ctx, 0, 1_000_000)
	h.must(err)
	var orders []uuid.UUID
	paidFor := map[uuid.UUID]bool{}
	for _, e := range log {
		ev, err := h.app.Events().Decode(e.Type, e.Schema, e.Data)
		h.must(err)
		switch ev := ev.(type) {
		case registrations.OrderPlaced:
			orders = append(orders, ev.OrderID)
		case registrations.PaymentCompleted:
			paidFor[ev.OrderID] = true
		}
	}
	if len(orders) == 0 {
		t.Fatal("the helper placed no orders before being killed")
	}
	soldPaid, soldFree, confirmed := 0, 0, 0
	for _, id := range orders {
		o := h.order(id)
		switch o.Status {
		case registrations.OrderStatusConfirmed:
			confirmed++
			soldPaid += o.Reserved.Get(paid)
			soldFree += o.Reserved.Get(free)
		case registrations.OrderStatusExpired, registrations.OrderStatusRejected:
			if paidFor[id] && h.commands(id)[registrations.RefundPayment{}.CommandType()] == 0 {
				t.Errorf("order %s is %s, paid and not refunded", id, o.Status)
			}
		default:
			t.Errorf("order %s left %s, want confirmed, expired or rejected", id, o.Status)
		}
	}
	a := h.availability()
	if a.SoldCount(paid) != soldPaid || a.SoldCount(free) != soldFree {
		t.Errorf("sold: got %d paid, %d free; confirmed orders hold %d and %d", a.SoldCount(paid), a.SoldCount(free), soldPaid, soldFree)
	}
	if a.ReservedCount(paid)+a.ReservedCount(free) != 0 || a.Overbooked(paid)+a.Overbooked(free) != 0 {
		t.Errorf("got %d+%d seats still reserved, %d+%d overbooked; want none", a.ReservedCount(paid), a.ReservedCount(free), a.Overbooked(paid), a.Overbooked(free))
	}
	if dead, err := h.store.DeadLetters(ctx, 10); err != nil || len(dead) != 0 {
		t.Errorf("dead letters: got %+v (%v), want none", dead, err)
	}
	t.Logf("%d orders over 3 kills, %d confirmed", len(orders), confirmed)
}
