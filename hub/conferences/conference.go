package conferences

import (
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Reservation window bounds: how long seats stay reserved for an order that
// has not been paid yet.
const (
	DefaultReservationWindow = 15 * time.Minute
	MinReservationWindow     = 1 * time.Minute
	MaxReservationWindow     = 120 * time.Minute
)

// Conference is an event an organizer sells seats for. Only a published
// conference is visible to registrants.
type Conference struct {
	ID          uuid.UUID
	OrganizerID uuid.UUID
	ConferenceDetails
	Published bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConferenceDetails are the fields an organizer edits. Create and update take
// the full set; Normalize then Validate before storing.
type ConferenceDetails struct {
	// Slug names the conference in public URLs: 3-60 lowercase letters,
	// digits and inner hyphens, unique across the hub.
	Slug        string
	Name        string
	Tagline     string
	Description string
	Venue       string
	// ContactEmail is the organizer contact shown to registrants (optional).
	ContactEmail string
	// TimeZone is an IANA name such as "Europe/Lisbon"; times are shown in it.
	TimeZone string
	StartsAt time.Time
	EndsAt   time.Time
	// ReservationWindow is how long an unpaid order holds its seats; zero
	// means DefaultReservationWindow.
	ReservationWindow time.Duration
	// Currency is the ISO 4217 code every seat type of the conference is
	// priced in. It cannot change once the conference has seat types.
	Currency string
}

var (
	slugPattern     = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// Normalize trims text fields, lower-cases the slug and email, upper-cases
// the currency, stores times in UTC at second precision and applies the
// default reservation window.
func (d ConferenceDetails) Normalize() ConferenceDetails {
	d.Slug = strings.ToLower(strings.TrimSpace(d.Slug))
	d.Name = strings.TrimSpace(d.Name)
	d.Tagline = strings.TrimSpace(d.Tagline)
	d.Description = strings.TrimSpace(d.Description)
	d.Venue = strings.TrimSpace(d.Venue)
	d.ContactEmail = strings.ToLower(strings.TrimSpace(d.ContactEmail))
	d.TimeZone = strings.TrimSpace(d.TimeZone)
	d.Currency = strings.ToUpper(strings.TrimSpace(d.Currency))
	if !d.StartsAt.IsZero() {
		d.StartsAt = d.StartsAt.UTC().Truncate(time.Second)
	}
	if !d.EndsAt.IsZero() {
		d.EndsAt = d.EndsAt.UTC().Truncate(time.Second)
	}
	if d.ReservationWindow == 0 {
		d.ReservationWindow = DefaultReservationWindow
	}
	return d
}

// Validate checks normalized details and returns every problem, one
// *ValidationError per field at fault, joined (errors.As finds the
// first), so a form can show them all at once.
func (d ConferenceDetails) Validate() error {
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case len(d.Slug) < 3 || len(d.Slug) > 60:
		check(invalid("slug", "must be 3 to 60 characters"))
	case !slugPattern.MatchString(d.Slug):
		check(invalid("slug", "may contain only lowercase letters, digits and inner hyphens"))
	}
	check(maxText("name", d.Name, 200, true))
	check(maxText("tagline", d.Tagline, 200, false))
	check(maxText("description", d.Description, 20000, false))
	check(maxText("venue", d.Venue, 300, false))
	check(validateEmail("contact_email", d.ContactEmail, false))
	check(validateTimeZone(d.TimeZone))
	if d.StartsAt.IsZero() {
		check(invalid("starts_at", "is required"))
	}
	switch {
	case d.EndsAt.IsZero():
		check(invalid("ends_at", "is required"))
	case !d.StartsAt.IsZero() && !d.EndsAt.After(d.StartsAt):
		check(invalid("ends_at", "must be after the start"))
	}
	if d.ReservationWindow < MinReservationWindow || d.ReservationWindow > MaxReservationWindow ||
		d.ReservationWindow%time.Minute != 0 {
		check(invalid("reservation_window", "must be a whole number of minutes from 1 to 120"))
	}
	if !currencyPattern.MatchString(d.Currency) {
		check(invalid("currency", "must be a three-letter ISO 4217 code such as EUR"))
	}
	return errors.Join(errs...)
}

func validateTimeZone(name string) error {
	if name == "" {
		return invalid("time_zone", "is required")
	}
	// "Local" depends on the server's settings, not the venue's.
	if name == "Local" {
		return invalid("time_zone", "must be an IANA time zone such as Europe/Lisbon")
	}
	if _, err := time.LoadLocation(name); err != nil {
		return invalid("time_zone", "unknown time zone %q", name)
	}
	return nil
}

func maxText(field, value string, limit int, required bool) error {
	if required && value == "" {
		return invalid(field, "is required")
	}
	if utf8.RuneCountInString(value) > limit {
		return invalid(field, "must be at most %d characters", limit)
	}
	return nil
}

// Location is the conference's time zone; UTC if it cannot be loaded, which
// validation prevents for stored conferences.
func (c *Conference) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}
