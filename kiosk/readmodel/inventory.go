package readmodel

import (
	"slices"
	"strings"

	"github.com/google/uuid"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

// InventoryLine is one seat type as the walk-up sale screen shows it.
type InventoryLine struct {
	SeatType uuid.UUID
	Name     string
	Price    registrations.Money
	Policy   conferences.OnSitePolicy
	// AllocationLeft is how many seats this kiosk may still sell with no
	// risk: its lease as the hub's events say, minus every seat of its own
	// sales the hub has not applied yet.
	AllocationLeft int
	// Remaining is what the kiosk's (possibly stale) copy of availability
	// says is free beyond all allocations and this kiosk's pending sales.
	Remaining int
}

// ConferenceInfo names a conference.
type ConferenceInfo struct {
	ID       uuid.UUID
	Name     string
	Currency string
}

// Conferences lists the conferences the log mentions, by name.
func (m *Model) Conferences() []ConferenceInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []ConferenceInfo
	for _, c := range m.conferences {
		out = append(out, ConferenceInfo{ID: c.ID, Name: c.Name, Currency: c.Currency})
	}
	slices.SortFunc(out, func(a, b ConferenceInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Conference returns one conference's name and currency.
func (m *Model) Conference(id uuid.UUID) (ConferenceInfo, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.conferences[id]
	if !ok {
		return ConferenceInfo{}, false
	}
	return ConferenceInfo{ID: c.ID, Name: c.Name, Currency: c.Currency}, true
}

// Inventory lists the seat types of a conference with this kiosk's
// allocation, sellable ones first, by name.
func (m *Model) Inventory(conference uuid.UUID) []InventoryLine {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.conferences[conference]
	if !ok {
		return nil
	}
	var out []InventoryLine
	for _, st := range c.SeatTypes {
		out = append(out, m.line(c, st))
	}
	slices.SortFunc(out, func(a, b InventoryLine) int {
		if a.Policy.SellableAtKiosks != b.Policy.SellableAtKiosks {
			if a.Policy.SellableAtKiosks {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// SeatType returns one seat type's line; ok is false when Conference
// Management never described it to this kiosk.
func (m *Model) SeatType(conference, seatType uuid.UUID) (InventoryLine, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.conferences[conference]
	if !ok {
		return InventoryLine{}, false
	}
	st, ok := c.SeatTypes[seatType]
	if !ok {
		return InventoryLine{}, false
	}
	return m.line(c, st), true
}

func (m *Model) line(c *Conference, st SeatType) InventoryLine {
	return InventoryLine{SeatType: st.ID, Name: st.Name, Price: st.Price, Policy: st.OnSite,
		AllocationLeft: m.allocationLeft(c, st.ID), Remaining: m.remaining(c, st.ID)}
}

// Prices lists the seat prices of a conference, for registrations.Price.
func (m *Model) Prices(conference uuid.UUID) []registrations.SeatPrice {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.conferences[conference]
	if !ok {
		return nil
	}
	var out []registrations.SeatPrice
	for _, st := range c.SeatTypes {
		out = append(out, registrations.SeatPrice{SeatType: st.ID, Price: st.Price})
	}
	return out
}

// Stats are the model's counters for the status bar and support.
type Stats struct {
	Position    int64
	Attendees   int
	CheckedIn   int
	Duplicates  int // attendees checked in on two kiosks that were offline
	DeniedScans int
	// BadgesPrinted counts badges a printer accepted; BadgePDFs those
	// opened as a PDF in the browser, which nobody saw come out.
	BadgesPrinted int
	BadgePDFs     int
	// SkippedEvents counts events of types this build does not know (a
	// newer hub's), SkippedTypes names those types, sorted.
	SkippedEvents int64
	SkippedTypes  []string
}

// Stats returns the counters.
func (m *Model) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	st := Stats{Position: m.position, Attendees: len(m.attendees), CheckedIn: m.checkedIn,
		Duplicates: m.duplicates, DeniedScans: m.denied, BadgesPrinted: m.printed, BadgePDFs: m.pdfs}
	for t, n := range m.skipped {
		st.SkippedEvents += n
		st.SkippedTypes = append(st.SkippedTypes, t)
	}
	slices.Sort(st.SkippedTypes)
	return st
}
