package hubapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

// The demo organizer and conference `hub serve --demo` seeds.
const (
	DemoEmail = "demo@example.com"
	DemoSlug  = "demo"
	DemoPromo = "DEMO10"
)

// Demo is what SeedDemo made (or found).
type Demo struct {
	// Skipped is true when the database already has organizers other than
	// the demo one: a real hub is never seeded.
	Skipped     bool
	OrganizerID uuid.UUID
	Email       string
	// Password is set by a DemoHook that gives the organizer one (the web
	// UI's accounts); empty otherwise.
	Password string
	// Token is a fresh API token of the demo organizer.
	Token        string
	ConferenceID uuid.UUID
	Slug         string
	// FullPass, CommunityDay (free) and Workshop (10 seats, sold at kiosks)
	// are the demo's seat types.
	FullPass, CommunityDay, Workshop uuid.UUID
}

// DemoHook runs after the demo data exists, every time SeedDemo runs; the
// web UI uses one to give the demo organizer a password (setting
// d.Password so it is printed).
type DemoHook func(ctx context.Context, h *Hub, d *Demo) error

// demoSeatTypes are the demo conference's seat types, by name.
var demoSeatTypes = []conferences.SeatTypeDetails{
	{Name: "Full conference pass", Description: "Both days: every talk, lunch and the evening reception.",
		Price: registrations.NewMoney(29900, "EUR"), Quota: 300},
	{Name: "Community day", Description: "The free community track on the first day.",
		Price: registrations.NewMoney(0, "EUR"), Quota: 150},
	{Name: "Hands-on Go workshop", Description: "A small morning workshop; bring a laptop. Also sold at the venue.",
		Price: registrations.NewMoney(4900, "EUR"), Quota: 10,
		OnSite: conferences.OnSitePolicy{SellableAtKiosks: true, SellPastAllocation: true, KioskAllocationSize: 2}},
}

// SeedDemo makes a demo organizer (DemoEmail) with an API token and a
// published demo conference with three seat types (one a small workshop
// kiosks may sell) and a promo code, through the real services. It is
// idempotent: what exists is kept and what is missing is added, so a crash
// half-way is repaired by the next start. A database with other organizers
// is left alone (Demo.Skipped). The hooks run last.
func SeedDemo(ctx context.Context, h *Hub, hooks ...DemoHook) (Demo, error) {
	d, err := seedDemo(ctx, h)
	if err != nil || d.Skipped {
		return d, err
	}
	for _, hook := range hooks {
		if err := hook(ctx, h, &d); err != nil {
			return d, fmt.Errorf("seed demo: %w", err)
		}
	}
	return d, nil
}

func seedDemo(ctx context.Context, h *Hub) (Demo, error) {
	svc := h.Conferences
	org, err := svc.GetOrganizerByEmail(ctx, DemoEmail)
	if errors.Is(err, conferences.ErrNotFound) {
		n, err := svc.CountOrganizers(ctx)
		if err != nil {
			return Demo{}, fmt.Errorf("seed demo: %w", err)
		}
		if n > 0 {
			return Demo{Skipped: true}, nil
		}
		org, err = svc.CreateOrganizer(ctx, conferences.NewOrganizer{Email: DemoEmail, DisplayName: "Demo Organizer"})
		if err != nil {
			return Demo{}, fmt.Errorf("seed demo: %w", err)
		}
	} else if err != nil {
		return Demo{}, fmt.Errorf("seed demo: %w", err)
	}
	d := Demo{OrganizerID: org.ID, Email: org.Email, Slug: DemoSlug}
	if d.Token, err = svc.IssueAPIToken(ctx, org.ID); err != nil {
		return Demo{}, fmt.Errorf("seed demo: %w", err)
	}
	c, err := demoConference(ctx, h, org.ID)
	if err != nil {
		return Demo{}, fmt.Errorf("seed demo: %w", err)
	}
	d.ConferenceID = c.ID
	ids, err := demoSeats(ctx, h, org.ID, c.ID)
	if err != nil {
		return Demo{}, fmt.Errorf("seed demo: %w", err)
	}
	d.FullPass, d.CommunityDay, d.Workshop = ids[0], ids[1], ids[2]
	if err := demoPromo(ctx, h, org.ID, c.ID); err != nil {
		return Demo{}, fmt.Errorf("seed demo: %w", err)
	}
	if _, err := svc.Publish(ctx, org.ID, c.ID); err != nil {
		return Demo{}, fmt.Errorf("seed demo: %w", err)
	}
	return d, nil
}

func demoConference(ctx context.Context, h *Hub, organizerID uuid.UUID) (*conferences.Conference, error) {
	list, err := h.Conferences.ListConferences(ctx, organizerID)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if c.Slug == DemoSlug {
			return c, nil
		}
	}
	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		lisbon = time.UTC
	}
	day := h.Now().In(lisbon).AddDate(0, 0, 45)
	start := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, lisbon)
	return h.Conferences.CreateConference(ctx, organizerID, conferences.ConferenceDetails{
		Slug: DemoSlug, Name: "Demo Conference", Tagline: "Two days of Go, offline-first",
		Description: "A demo conference seeded by `hub serve --demo`: buy seats, pay on the fake processor, " +
			"assign attendees and find your order again with its access code.",
		Venue: "Lisbon Congress Centre", ContactEmail: DemoEmail, TimeZone: lisbon.String(),
		StartsAt: start, EndsAt: start.Add(33 * time.Hour), Currency: "EUR",
	})
}

func demoSeats(ctx context.Context, h *Hub, organizerID, conferenceID uuid.UUID) ([]uuid.UUID, error) {
	existing, err := h.Conferences.ListSeatTypes(ctx, organizerID, conferenceID)
	if err != nil {
		return nil, err
	}
	out := make([]uuid.UUID, 0, len(demoSeatTypes))
next:
	for _, want := range demoSeatTypes {
		for _, st := range existing {
			if st.Name == want.Name {
				out = append(out, st.ID)
				continue next
			}
		}
		st, err := h.Conferences.AddSeatType(ctx, organizerID, conferenceID, want)
		if err != nil {
			return nil, err
		}
		out = append(out, st.ID)
	}
	return out, nil
}

func demoPromo(ctx context.Context, h *Hub, organizerID, conferenceID uuid.UUID) error {
	_, err := h.Conferences.AddPromoCode(ctx, organizerID, conferenceID, conferences.PromoCodeDetails{
		Code: DemoPromo, Description: "10% off the whole order", Kind: registrations.DiscountPercentage, Percent: 10,
	})
	if errors.Is(err, conferences.ErrConflict) {
		return nil // added by an earlier start
	}
	return err
}
