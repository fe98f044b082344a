package hubapp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/hub/readmodels"
	registrationsapp "conference/hub/registrations"
	"conference/shared/eventsourcing"
	"conference/shared/ids"
	"conference/shared/onsite"
	"conference/shared/registrations"
)

// The demo's attendees: a few hundred people with names in the scripts
// badges print (Latin with diacritics, Greek, Cyrillic, Chinese, Japanese
// kana and kanji, Hangul, Arabic, Hebrew, Persian), who bought full passes
// (paid on the fake processor) or community-day seats (free) through the
// same services the registrant site calls. A third of them are checked in
// already, at the registration desk, so a kiosk has both people to find
// and check in and people it shows as in.

// DemoNames are the names the demo's attendees take, cycling.
var DemoNames = []string{
	"Zoë Ødegård", "Μαρία Παπαδοπούλου", "Анна Иванова", "王小明", "さくら たなか", "김민준", "محمد العلي", "דוד כהן", "علی رضایی",
	"João Gonçalves", "Γιώργος Νικολάου", "Дмитрий Смирнов", "李娜", "ユキ スズキ", "이서연", "فاطمة الزهراء", "שרה לוי", "زهرا محمدی",
	"Łukasz Wróbel", "Ελένη Κωνσταντίνου", "Ольга Кузнецова", "张伟", "山田 太郎", "박지훈", "أحمد حسن", "יוסף מזרחי", "حسین کریمی",
	"Anaïs Lefèvre", "Δημήτρης Αλεξίου", "Сергій Шевченко", "陈静", "ケンジ ワタナベ", "최수아", "ليلى منصور", "רחל פרץ", "مریم احمدی",
	"Nguyễn Thị Hương", "Αικατερίνη Βλάχου", "Марија Петровић", "刘洋", "はるか こばやし", "정하늘", "عمر خليل", "נועה ביטון", "پرستو نیک‌نام",
	"Íñigo Muñoz", "Νίκος Σταύρου", "Борис Попов", "黄晓燕", "佐藤 花子", "강도윤", "نور الهدى", "אברהם דהן", "کوروش پژمان",
	"Zsófia Kovács", "Jiří Dvořák", "Ægir Þórsson", "Ömer Çelik", "Ðorđe Petrović", "Søren Kierkegård",
}

var demoCompanies = []string{"Gopher Guild", "Lisboa Labs", "", "Acme Cloud", "", "Nordlys AS", "Kaizen KK", ""}

// DemoDesk is the kiosk id the demo's early check-ins name.
const DemoDesk = "registration-desk"

// demoOrders is how many orders the demo places: about 1.8 seats each.
const demoOrders = 150

// demoOrder is one of the demo's orders, the same every time: the
// registrant's email identifies it when a restart finishes the seeding.
type demoOrder struct {
	index    int
	seatType uuid.UUID
	free     bool
	names    []string
	email    string
}

func demoPlan(d Demo) []demoOrder {
	sizes := []int{1, 2, 1, 3, 1, 2, 1, 1, 4, 2}
	var out []demoOrder
	person := 0
	for i := range demoOrders {
		o := demoOrder{index: i, seatType: d.FullPass, email: fmt.Sprintf("demo-attendee-%03d@example.org", i)}
		if i%3 == 2 {
			o.seatType, o.free = d.CommunityDay, true
		}
		for range sizes[i%len(sizes)] {
			o.names = append(o.names, DemoNames[person%len(DemoNames)])
			person++
		}
		out = append(out, o)
	}
	return out
}

// DemoAttendees is what SeedDemoAttendees did.
type DemoAttendees struct {
	Orders, Attendees, CheckedIn int
}

// SeedDemoAttendees fills the demo conference with the demo's orders,
// names their attendees and checks a third in. It needs the hub's workers
// running (orders are confirmed by the registration process). It is
// idempotent: orders already confirmed are kept (found by their
// registrant's email), the rest are placed, so a restart finishes a
// seeding cut short. It returns how many orders, attendees and check-ins
// the demo conference has of the plan.
func SeedDemoAttendees(ctx context.Context, h *Hub, d Demo) (DemoAttendees, error) {
	head, err := h.Store.Head(ctx)
	if err != nil {
		return DemoAttendees{}, fmt.Errorf("seed demo attendees: %w", err)
	}
	if err := h.Reads.WaitFor(ctx, head); err != nil {
		return DemoAttendees{}, fmt.Errorf("seed demo attendees: %w", err)
	}
	existing, err := h.Reads.Orders(ctx, d.ConferenceID, readmodels.OrdersFilter{Status: registrations.OrderStatusConfirmed,
		Query: "demo-attendee-", Limit: readmodels.MaxLimit})
	if err != nil {
		return DemoAttendees{}, fmt.Errorf("seed demo attendees: %w", err)
	}
	confirmed := map[string]uuid.UUID{}
	for _, o := range existing {
		confirmed[o.Email] = o.OrderID
	}
	plan := demoPlan(d)
	var (
		mu       sync.Mutex
		out      DemoAttendees
		firstErr error
		wg       sync.WaitGroup
		work     = make(chan demoOrder)
	)
	codec := eventsourcing.NewRegistry()
	onsite.RegisterEvents(codec)
	attendance := eventsourcing.NewRepository(h.Store, codec, onsite.NewAttendance)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				orderID, ok := confirmed[o.email]
				var err error
				if !ok {
					orderID, err = h.seedDemoOrder(ctx, d.ConferenceID, o)
				}
				checked := 0
				if err == nil {
					checked, err = h.checkInDemo(ctx, attendance, d, orderID, o)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					out.Orders++
					out.Attendees += len(o.names)
					out.CheckedIn += checked
				}
				mu.Unlock()
			}
		}()
	}
	for _, o := range plan {
		select {
		case work <- o:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return out, fmt.Errorf("seed demo attendees: %w", firstErr)
	}
	return out, nil
}

// seedDemoOrder buys one demo order as a registrant would: place, give
// the registrant, pay (full passes), wait for the confirmation, name the
// attendees.
func (h *Hub) seedDemoOrder(ctx context.Context, conference uuid.UUID, o demoOrder) (uuid.UUID, error) {
	placed, err := h.Registrations.PlaceOrder(ctx, conference, registrations.Seats{{SeatType: o.seatType, Quantity: len(o.names)}}, "", h.now())
	if err != nil {
		return uuid.Nil, err
	}
	id := placed.OrderID
	if err := h.Registrations.SetRegistrant(ctx, id, o.names[0], o.email); err != nil {
		return id, err
	}
	if !o.free {
		pay, err := h.Payments.StartWithin(ctx, id, time.Minute)
		if err != nil {
			return id, fmt.Errorf("demo order %d: payment: %w", o.index, err)
		}
		if _, err := h.Payments.Accept(ctx, pay.ID); err != nil {
			return id, err
		}
	}
	if err := h.waitConfirmed(ctx, id); err != nil {
		return id, fmt.Errorf("demo order %d: %w", o.index, err)
	}
	changes := make([]registrationsapp.Assignment, len(o.names))
	for i, name := range o.names {
		a := registrations.Attendee{Name: name, Email: fmt.Sprintf("demo-attendee-%03d-%d@example.org", o.index, i),
			Company: demoCompanies[(o.index+i)%len(demoCompanies)]}
		if i == 0 {
			a.Email = o.email
		}
		changes[i] = registrationsapp.Assignment{Position: i, Attendee: &a}
	}
	if _, err := h.Registrations.AssignSeats(ctx, id, changes); err != nil {
		return id, fmt.Errorf("demo order %d: name attendees: %w", o.index, err)
	}
	return id, nil
}

// waitConfirmed waits (a minute at most) for the registration process to
// confirm an order.
func (h *Hub) waitConfirmed(ctx context.Context, id uuid.UUID) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		o, err := h.Registrations.GetOrder(ctx, id)
		if err == nil && o.Status == registrations.OrderStatusConfirmed {
			return nil
		}
		if err == nil && o.Status != registrations.OrderStatusPending && o.Status != registrations.OrderStatusReserved {
			return fmt.Errorf("order %s is %s, not confirmed", id, o.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("order %s not confirmed in time: %w", id, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkInDemo checks every third demo attendee in at the registration
// desk, as a kiosk there would have; one checked in already stays so.
func (h *Hub) checkInDemo(ctx context.Context, attendance *eventsourcing.Repository[*onsite.Attendance], d Demo, orderID uuid.UUID, o demoOrder) (int, error) {
	n := 0
	for i := range o.names {
		if (o.index+i)%3 != 0 {
			continue
		}
		seat := onsite.Seat{OrderID: orderID, Position: i}
		err := attendance.Update(ctx, onsite.AttendanceStreamID(seat), eventsourcing.Metadata{CorrelationID: ids.New()},
			func(a *onsite.Attendance) error {
				return a.CheckIn(onsite.CheckIn{ConferenceID: d.ConferenceID, Seat: seat, KioskID: DemoDesk, Staff: "Demo staff"}, h.now())
			})
		var already *onsite.AlreadyCheckedInError
		if err != nil && !errors.As(err, &already) {
			return n, fmt.Errorf("check in %s: %w", strings.TrimSpace(o.names[i]), err)
		}
		n++
	}
	return n, nil
}
