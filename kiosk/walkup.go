package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"conference/kiosk/readmodel"
	"conference/shared/eventsourcing"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// WalkUpRequest is a sale at the desk.
type WalkUpRequest struct {
	// ConferenceID may be left nil when the kiosk serves one conference.
	ConferenceID uuid.UUID                   `json:"conference_id"`
	Seats        registrations.Seats         `json:"seats"`
	Name         string                      `json:"name"`
	Email        string                      `json:"email"` // optional (cash buyers)
	Company      string                      `json:"company"`
	Role         string                      `json:"role"`
	Payment      registrations.PaymentMethod `json:"payment"`
	PaymentRef   string                      `json:"payment_ref"`
	Staff        string                      `json:"staff"`
	// Print prints the badge after the check-in.
	Print bool `json:"print"`
}

// SaleOutcome says how sure a walk-up sale is.
type SaleOutcome string

// Sale outcomes.
const (
	// SaleCertain: every seat came out of this kiosk's allocation.
	SaleCertain SaleOutcome = "certain"
	// SalePendingHub: some seats were sold past the allocation, as the
	// seat type's policy allows; the hub confirms them or raises a seat
	// quota conflict for the organizer.
	SalePendingHub SaleOutcome = "pending_hub_confirmation"
)

// WalkUpResult is a recorded sale: the order, its attendee checked in, and
// the badge when asked for.
type WalkUpResult struct {
	OrderID    uuid.UUID
	AccessCode string
	Total      registrations.Money
	Outcome    SaleOutcome
	// PastAllocation lists the seats sold beyond the allocation.
	PastAllocation registrations.Seats
	Attendee       readmodel.AttendeeView
	Badge          *PrintResult
	// PrintError is set when the sale stands but the badge failed to print.
	PrintError error
}

// WalkUpSale sells seats to a walk-up attendee, records the payment (cash
// or card present), names the attendee on the seats, checks them in and,
// if asked, prints the badge. Inside the kiosk's allocation the sale is
// certain; past it the seat type's policy decides: refused (an error
// matching registrations.ErrAllocationExhausted) or sold pending hub
// confirmation (Outcome says which). A seat type not sold at kiosks is
// refused with ErrNotSellable. Bad input changes nothing.
//
// The sale is one event (WalkUpOrderPlaced); seat names and check-in
// follow in their own streams. A crash between them is finished at the
// next start from the kiosk_walkup_flows journal.
func (k *Kiosk) WalkUpSale(ctx context.Context, req WalkUpRequest) (WalkUpResult, error) {
	id, err := k.canRecord()
	if err != nil {
		return WalkUpResult{}, err
	}
	if req.ConferenceID == uuid.Nil {
		req.ConferenceID = k.scope()
	}
	if req.ConferenceID == uuid.Nil || !k.serves(req.ConferenceID) {
		return WalkUpResult{}, &registrations.Error{Code: registrations.CodeInvalid, Message: "choose one of the kiosk's conferences"}
	}
	if strings.TrimSpace(req.Staff) == "" {
		return WalkUpResult{}, &registrations.Error{Code: registrations.CodeInvalid, Message: "staff is required"}
	}
	req.Seats = req.Seats.Normalize()

	k.saleMu.Lock()
	defer k.saleMu.Unlock()
	// Decide on a model holding every sale already recorded: one whose
	// flow failed before its catch-up below is in the log, and must hold
	// its seats before this sale may call itself certain.
	if err := k.catchUp(ctx); err != nil {
		return WalkUpResult{}, k.recorded("read the kiosk's log", err)
	}
	outcome, past, err := k.decide(req)
	if err != nil {
		return WalkUpResult{}, err
	}
	now := k.now()
	orderID := ids.New()
	order := registrations.NewOrder()
	if err := order.PlaceWalkUp(registrations.PlaceWalkUp{
		OrderID: orderID, ConferenceID: req.ConferenceID, KioskID: id.KioskID, Seats: req.Seats,
		Pricing: registrations.PricingInput{Prices: k.model.Prices(req.ConferenceID)}, AccessCode: ids.NewAccessCode(),
		Name: req.Name, Email: req.Email, Method: req.Payment, PaymentRef: req.PaymentRef,
	}, now); err != nil {
		return WalkUpResult{}, err
	}
	if err := k.beginFlow(ctx, orderID, req); err != nil {
		return WalkUpResult{}, err
	}
	meta := eventsourcing.Metadata{CorrelationID: orderID}
	if err := k.recorded("record walk-up sale", k.orders.Save(ctx, order, meta)); err != nil {
		return WalkUpResult{}, err
	}
	// From here the sale exists: the steps below are finished at restart
	// if they fail now.
	res := WalkUpResult{OrderID: orderID, AccessCode: order.AccessCode(), Total: order.Total(), Outcome: outcome, PastAllocation: past}
	if err := k.finishFlow(ctx, id, orderID, req); err != nil {
		return res, err
	}
	if err := k.catchUp(ctx); err != nil {
		return res, err
	}
	seat := onsite.Seat{OrderID: orderID, Position: 0}
	res.Attendee, _ = k.model.Attendee(seat)
	if req.Print {
		badge, err := k.print(ctx, seat, req.Staff, "")
		if err != nil {
			res.PrintError = err
		} else {
			res.Badge, res.Attendee, res.PrintError = &badge, badge.Attendee, badge.PrintError
		}
	}
	return res, nil
}

// decide applies the seat types' on-site policies to the kiosk's
// allocation as SeatsAvailability counts it.
func (k *Kiosk) decide(req WalkUpRequest) (SaleOutcome, registrations.Seats, error) {
	outcome := SaleCertain
	var past registrations.Seats
	for _, q := range req.Seats {
		line, ok := k.model.SeatType(req.ConferenceID, q.SeatType)
		if !ok || !line.Policy.SellableAtKiosks {
			name := q.SeatType.String()
			if ok {
				name = line.Name
			}
			return "", nil, fmt.Errorf("seat type %s: %w", name, ErrNotSellable)
		}
		if q.Quantity <= line.AllocationLeft {
			continue
		}
		if !line.Policy.SellPastAllocation {
			return "", nil, fmt.Errorf("%s: %d asked, %d left in this kiosk's allocation, and this seat type is not sold past it: %w",
				line.Name, q.Quantity, line.AllocationLeft, registrations.ErrAllocationExhausted)
		}
		outcome = SalePendingHub
		past = append(past, registrations.SeatQuantity{SeatType: q.SeatType, Quantity: q.Quantity - line.AllocationLeft})
	}
	return outcome, past, nil
}

// beginFlow journals a sale before it is recorded. It also deletes the
// entries of sales finished since the last one, in the same transaction:
// one commit per sale for the journal instead of two. (A finished entry
// left by a crash is harmless: recovery finds every step done.)
// Callers hold saleMu.
func (k *Kiosk) beginFlow(ctx context.Context, orderID uuid.UUID, req WalkUpRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode walk-up request: %w", err)
	}
	tx, err := k.store.DB().BeginTx(ctx, nil)
	if err != nil {
		return k.recorded("record walk-up sale", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	for _, done := range k.finished {
		if _, err := tx.ExecContext(ctx, `DELETE FROM kiosk_walkup_flows WHERE order_id = ?`, done[:]); err != nil {
			return k.recorded("record walk-up sale", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO kiosk_walkup_flows (order_id, request, created_at) VALUES (?, ?, ?)`,
		orderID[:], string(body), k.now().UnixMilli()); err != nil {
		return k.recorded("record walk-up sale", err)
	}
	if err := k.recorded("record walk-up sale", tx.Commit()); err != nil {
		return err
	}
	k.finished = k.finished[:0]
	return nil
}

// finishFlow names the attendee on the order's seats and checks them in,
// skipping what is already done, then closes the journal entry.
func (k *Kiosk) finishFlow(ctx context.Context, id Identity, orderID uuid.UUID, req WalkUpRequest) error {
	meta := eventsourcing.Metadata{CorrelationID: orderID}
	order, err := k.orders.Load(ctx, registrations.OrderStreamID(orderID))
	if err != nil {
		return k.recorded("load walk-up order", err)
	}
	// Naming the seats and checking in touch different streams: submitted
	// together, the store commits them in one group (one fsync).
	var wg sync.WaitGroup
	var checkErr error
	cmd := onsite.CheckIn{ConferenceID: order.ConferenceID(), Seat: onsite.Seat{OrderID: orderID}, KioskID: id.KioskID, Staff: req.Staff}
	wg.Add(1)
	go func() {
		defer wg.Done()
		checkErr = k.attendance.Update(ctx, onsite.AttendanceStreamID(cmd.Seat), meta, func(a *onsite.Attendance) error {
			if a.CheckedIn() {
				return nil
			}
			return a.CheckIn(cmd, k.now())
		})
	}()
	err = k.assignments.Update(ctx, registrations.AssignmentsStreamID(orderID), meta, func(s *registrations.SeatAssignments) error {
		if s.OrderID() != uuid.Nil {
			return nil // done before a crash
		}
		if err := s.Create(orderID, order.ConferenceID(), order.Reserved()); err != nil {
			return err
		}
		if strings.TrimSpace(req.Email) == "" {
			return nil // seats stay with the buyer, named on the order
		}
		who := registrations.Attendee{Name: req.Name, Email: req.Email, Company: req.Company, Role: req.Role}
		for _, p := range s.Positions() {
			if err := s.AssignSeat(p.Position, who); err != nil {
				return err
			}
		}
		return nil
	})
	wg.Wait()
	if err := k.recorded("name walk-up attendee", err); err != nil {
		return err
	}
	if err := k.recorded("check in walk-up attendee", checkErr); err != nil {
		return err
	}
	k.finished = append(k.finished, orderID)
	return nil
}

// recoverWalkUps finishes sales a crash interrupted. A journal entry whose
// sale was never stored is dropped: the screen never confirmed it.
func (k *Kiosk) recoverWalkUps(ctx context.Context) error {
	rows, err := k.store.DB().QueryContext(ctx, `SELECT order_id, request FROM kiosk_walkup_flows ORDER BY created_at`)
	if err != nil {
		return fmt.Errorf("read walk-up journal: %w", err)
	}
	type flow struct {
		id  uuid.UUID
		req WalkUpRequest
	}
	var flows []flow
	for rows.Next() {
		var raw []byte
		var body string
		if err := rows.Scan(&raw, &body); err != nil {
			rows.Close()
			return fmt.Errorf("read walk-up journal: %w", err)
		}
		f := flow{}
		f.id, err = uuid.FromBytes(raw)
		if err == nil {
			err = json.Unmarshal([]byte(body), &f.req)
		}
		if err != nil {
			rows.Close()
			return fmt.Errorf("walk-up journal entry: %w", err)
		}
		flows = append(flows, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read walk-up journal: %w", err)
	}
	for _, f := range flows {
		_, err := k.orders.Load(ctx, registrations.OrderStreamID(f.id))
		switch {
		case errors.Is(err, eventsourcing.ErrNotFound):
			if _, err := k.store.DB().ExecContext(ctx, `DELETE FROM kiosk_walkup_flows WHERE order_id = ?`, f.id[:]); err != nil {
				return fmt.Errorf("drop unrecorded walk-up sale %s: %w", f.id, err)
			}
			k.log.Info("dropped a walk-up sale interrupted before it was recorded", "order", f.id)
		case err != nil:
			return err
		default:
			id, ok := k.Identity()
			if !ok {
				return fmt.Errorf("finish walk-up sale %s: %w", f.id, ErrNotPaired)
			}
			k.saleMu.Lock()
			err := k.finishFlow(ctx, id, f.id, f.req)
			k.finished = k.finished[:0]
			k.saleMu.Unlock()
			if err != nil {
				return fmt.Errorf("finish walk-up sale %s: %w", f.id, err)
			}
			if _, err := k.store.DB().ExecContext(ctx, `DELETE FROM kiosk_walkup_flows WHERE order_id = ?`, f.id[:]); err != nil {
				return fmt.Errorf("close walk-up sale %s: %w", f.id, err)
			}
		}
	}
	return k.catchUp(ctx)
}

// ErrSaleNotFound: no walk-up sale of this kiosk with that order id.
var ErrSaleNotFound = &registrations.Error{Code: registrations.CodeNotFound, Message: "walk-up sale not found at this kiosk"}

// WalkUpReceipt rebuilds the receipt of one of this kiosk's walk-up sales
// from its log, as the sale showed it: access code, total, the attendee,
// whether it is still pending the hub, and the badge this kiosk issued,
// drawn again exactly (same issue time, so the same signed token). Only
// the print job's id is not kept. It works after a restart.
func (k *Kiosk) WalkUpReceipt(ctx context.Context, orderID uuid.UUID) (WalkUpResult, error) {
	if err := k.catchUp(ctx); err != nil {
		return WalkUpResult{}, err
	}
	sale, ok := k.model.WalkUpSale(orderID)
	if !ok {
		return WalkUpResult{}, fmt.Errorf("receipt of %s: %w", orderID, ErrSaleNotFound)
	}
	seat := onsite.Seat{OrderID: orderID, Position: 0}
	a, _ := k.model.Attendee(seat)
	res := WalkUpResult{OrderID: orderID, AccessCode: sale.AccessCode, Total: sale.Total, Outcome: SaleCertain, Attendee: a}
	if len(a.PendingHub) > 0 {
		res.Outcome, res.PastAllocation = SalePendingHub, a.PendingHub
	}
	id, _ := k.Identity()
	for i := len(a.PrintLog) - 1; i >= 0; i-- {
		p := a.PrintLog[i]
		if p.KioskID != id.KioskID {
			continue
		}
		b := PrintResult{Attendee: a, Output: p.Output, Printed: p.Printed(), Reprint: p.Reprint, IssuedAt: p.IssuedAt}
		var err error
		if b.PDF, b.HasQR, err = k.render(a, p.IssuedAt); err != nil {
			return res, err
		}
		if p.Failed {
			b.PrintError = errors.New(p.Error)
			res.PrintError = b.PrintError
		}
		res.Badge = &b
		break
	}
	return res, nil
}
