package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/shared/registrations"
)

const organizerKey = "api.organizer"

// organizerAuth admits requests carrying a valid API token and remembers
// whose it is; every organizer handler acts for that tenant only.
func (a *api) organizerAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || !conferences.WellFormedAPIToken(strings.TrimSpace(token)) {
			return apiErr(http.StatusUnauthorized, CodeUnauthorized, "", "an API token is required: Authorization: Bearer <token>")
		}
		org, err := a.h.Conferences.Authenticate(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			return err
		}
		c.Set(organizerKey, org.ID)
		return next(c)
	}
}

func organizerOf(c echo.Context) uuid.UUID {
	id, _ := c.Get(organizerKey).(uuid.UUID)
	return id
}

// conferenceInput is the body of create and update: the full set of
// details (update replaces them all).
type conferenceInput struct {
	Slug                     string    `json:"slug"`
	Name                     string    `json:"name"`
	Tagline                  string    `json:"tagline"`
	Description              string    `json:"description"`
	Venue                    string    `json:"venue"`
	ContactEmail             string    `json:"contact_email"`
	TimeZone                 string    `json:"time_zone"`
	StartsAt                 time.Time `json:"starts_at"`
	EndsAt                   time.Time `json:"ends_at"`
	ReservationWindowMinutes int       `json:"reservation_window_minutes"`
	Currency                 string    `json:"currency"`
}

func (in conferenceInput) details() (conferences.ConferenceDetails, error) {
	// Bound before multiplying, so a huge number cannot wrap into a valid
	// duration.
	if in.ReservationWindowMinutes < 0 || in.ReservationWindowMinutes > 10_000 {
		return conferences.ConferenceDetails{}, invalid("reservation_window_minutes", "must be a whole number of minutes from 1 to 120")
	}
	return conferences.ConferenceDetails{
		Slug: in.Slug, Name: in.Name, Tagline: in.Tagline, Description: in.Description, Venue: in.Venue,
		ContactEmail: in.ContactEmail, TimeZone: in.TimeZone, StartsAt: in.StartsAt, EndsAt: in.EndsAt,
		ReservationWindow: time.Duration(in.ReservationWindowMinutes) * time.Minute, Currency: in.Currency,
	}, nil
}

// conferenceJSON is a conference as the API shows it.
type conferenceJSON struct {
	ID                       uuid.UUID  `json:"id"`
	Slug                     string     `json:"slug"`
	Name                     string     `json:"name"`
	Tagline                  string     `json:"tagline"`
	Description              string     `json:"description"`
	Venue                    string     `json:"venue"`
	ContactEmail             string     `json:"contact_email"`
	TimeZone                 string     `json:"time_zone"`
	StartsAt                 time.Time  `json:"starts_at"`
	EndsAt                   time.Time  `json:"ends_at"`
	ReservationWindowMinutes int        `json:"reservation_window_minutes"`
	Currency                 string     `json:"currency"`
	Published                bool       `json:"published"`
	CreatedAt                *time.Time `json:"created_at,omitempty"`
	UpdatedAt                *time.Time `json:"updated_at,omitempty"`
}

func toConferenceJSON(c *conferences.Conference, withTimes bool) conferenceJSON {
	out := conferenceJSON{
		ID: c.ID, Slug: c.Slug, Name: c.Name, Tagline: c.Tagline, Description: c.Description,
		Venue: c.Venue, ContactEmail: c.ContactEmail, TimeZone: c.TimeZone, StartsAt: c.StartsAt, EndsAt: c.EndsAt,
		ReservationWindowMinutes: int(c.ReservationWindow / time.Minute), Currency: c.Currency, Published: c.Published,
	}
	if withTimes {
		created, updated := c.CreatedAt, c.UpdatedAt
		out.CreatedAt, out.UpdatedAt = &created, &updated
	}
	return out
}

func (a *api) handleListConferences(c echo.Context) error {
	list, err := a.h.Conferences.ListConferences(c.Request().Context(), organizerOf(c))
	if err != nil {
		return err
	}
	out := make([]conferenceJSON, 0, len(list))
	for _, conf := range list {
		out = append(out, toConferenceJSON(conf, true))
	}
	return c.JSON(http.StatusOK, map[string]any{"conferences": out})
}

func (a *api) handleCreateConference(c echo.Context) error {
	var in conferenceInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := in.details()
	if err != nil {
		return err
	}
	conf, err := a.h.Conferences.CreateConference(c.Request().Context(), organizerOf(c), d)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/organizer/conferences/"+conf.ID.String())
	return c.JSON(http.StatusCreated, toConferenceJSON(conf, true))
}

func (a *api) handleGetConference(c echo.Context) error {
	id, err := pathID(c, "conferenceID", "conference")
	if err != nil {
		return err
	}
	conf, err := a.h.Conferences.GetConference(c.Request().Context(), organizerOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConferenceJSON(conf, true))
}

func (a *api) handleUpdateConference(c echo.Context) error {
	id, err := pathID(c, "conferenceID", "conference")
	if err != nil {
		return err
	}
	var in conferenceInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := in.details()
	if err != nil {
		return err
	}
	conf, err := a.h.Conferences.UpdateConference(c.Request().Context(), organizerOf(c), id, d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConferenceJSON(conf, true))
}

func (a *api) handlePublish(c echo.Context) error   { return a.setPublished(c, true) }
func (a *api) handleUnpublish(c echo.Context) error { return a.setPublished(c, false) }

func (a *api) setPublished(c echo.Context, published bool) error {
	id, err := pathID(c, "conferenceID", "conference")
	if err != nil {
		return err
	}
	if err := noBody(c); err != nil {
		return err
	}
	do := a.h.Conferences.Unpublish
	if published {
		do = a.h.Conferences.Publish
	}
	conf, err := do(c.Request().Context(), organizerOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConferenceJSON(conf, true))
}

// seatTypeInput is the body of add and update (update replaces all).
type seatTypeInput struct {
	Name        string                   `json:"name"`
	Description string                   `json:"description"`
	Price       moneyJSON                `json:"price"`
	Quota       int                      `json:"quota"`
	OnSite      conferences.OnSitePolicy `json:"on_site"`
}

// moneyJSON is registrations.Money with unknown fields refused too.
type moneyJSON struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func (in seatTypeInput) details() conferences.SeatTypeDetails {
	return conferences.SeatTypeDetails{
		Name: in.Name, Description: in.Description,
		Price: registrations.Money{Amount: in.Price.Amount, Currency: in.Price.Currency},
		Quota: in.Quota, OnSite: in.OnSite,
	}
}

// seatTypeJSON is a seat type with its live counts: the organizer sees
// reserved and sold, registrants what remains and how many seats are held
// for unpaid orders (with none remaining, those may still come back).
type seatTypeJSON struct {
	ID          uuid.UUID                 `json:"id"`
	Name        string                    `json:"name"`
	Description string                    `json:"description"`
	Price       registrations.Money       `json:"price"`
	Quota       *int                      `json:"quota,omitempty"`
	Reserved    *int                      `json:"reserved,omitempty"`
	Sold        *int                      `json:"sold,omitempty"`
	Remaining   int                       `json:"remaining"`
	Held        *int                      `json:"held,omitempty"`
	OnSite      *conferences.OnSitePolicy `json:"on_site,omitempty"`
}

func (a *api) handleListSeatTypes(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := pathID(c, "conferenceID", "conference")
	if err != nil {
		return err
	}
	list, err := a.h.Conferences.ListSeatTypes(ctx, organizerOf(c), id)
	if err != nil {
		return err
	}
	counts, err := a.reads.seatCounts(ctx, id)
	if err != nil {
		return err
	}
	out := make([]seatTypeJSON, 0, len(list))
	for _, st := range list {
		out = append(out, organizerSeatType(st, counts[st.ID]))
	}
	return c.JSON(http.StatusOK, map[string]any{"seat_types": out})
}

func organizerSeatType(st *conferences.SeatType, n seatCount) seatTypeJSON {
	quota, reserved, sold, onSite := st.Quota, n.Reserved, n.Sold, st.OnSite
	return seatTypeJSON{
		ID: st.ID, Name: st.Name, Description: st.Description, Price: st.Price,
		Quota: &quota, Reserved: &reserved, Sold: &sold, Remaining: n.remainingOf(st.Quota), OnSite: &onSite,
	}
}

func (a *api) handleAddSeatType(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := pathID(c, "conferenceID", "conference")
	if err != nil {
		return err
	}
	var in seatTypeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	st, err := a.h.Conferences.AddSeatType(ctx, organizerOf(c), id, in.details())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, organizerSeatType(st, seatCount{}))
}

func (a *api) handleUpdateSeatType(c echo.Context) error {
	ctx := c.Request().Context()
	confID, err := pathID(c, "conferenceID", "conference")
	if err != nil {
		return err
	}
	stID, err := pathID(c, "seatTypeID", "seat type")
	if err != nil {
		return err
	}
	var in seatTypeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	st, err := a.h.Conferences.UpdateSeatType(ctx, organizerOf(c), confID, stID, in.details(), a.h.Sold)
	if err != nil {
		return err
	}
	counts, err := a.reads.seatCounts(ctx, confID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, organizerSeatType(st, counts[st.ID]))
}
