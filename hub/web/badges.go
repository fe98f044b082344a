package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/badges"
	"conference/badges/token"
	"conference/hub/readmodels"
	"conference/shared/onsite"
	"conference/shared/webui"
)

// badgeJob is one PDF of a conference's badges being rendered in the
// background, so the page can show progress and the browser download it
// when done.
type badgeJob struct {
	id           string
	conferenceID uuid.UUID
	organizerID  uuid.UUID
	started      time.Time

	mu          sync.Mutex
	done, total int
	finished    bool
	err         string
	pdf         []byte
}

type badgeJobState struct {
	Done     int    `json:"done"`
	Total    int    `json:"total"`
	Finished bool   `json:"finished"`
	Error    string `json:"error,omitempty"`
	PDF      string `json:"pdf,omitempty"`
}

func (j *badgeJob) state(base string) badgeJobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := badgeJobState{Done: j.done, Total: j.total, Finished: j.finished, Error: j.err}
	if j.finished && j.err == "" {
		st.PDF = base + "/badges/" + j.id + "/pdf"
	}
	return st
}

// badgeJobs keeps recent jobs in memory; a finished PDF is kept for
// badgeJobTTL, then forgotten (the organizer renders again).
type badgeJobs struct {
	mu   sync.Mutex
	jobs map[string]*badgeJob
}

const (
	badgeJobTTL     = 15 * time.Minute
	badgeJobTimeout = 5 * time.Minute
)

func newBadgeJobs() *badgeJobs { return &badgeJobs{jobs: map[string]*badgeJob{}} }

func (b *badgeJobs) get(id string, conferenceID, organizerID uuid.UUID) *badgeJob {
	b.mu.Lock()
	defer b.mu.Unlock()
	j := b.jobs[id]
	if j == nil || j.conferenceID != conferenceID || j.organizerID != organizerID {
		return nil
	}
	return j
}

// start registers a job unless one is already running for the conference,
// which it returns instead: one render at a time per conference.
func (b *badgeJobs) start(conferenceID, organizerID uuid.UUID, now time.Time) (*badgeJob, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, j := range b.jobs {
		j.mu.Lock()
		old, running := now.Sub(j.started) > badgeJobTTL, !j.finished
		j.mu.Unlock()
		if old && !running {
			delete(b.jobs, id)
			continue
		}
		if running && j.conferenceID == conferenceID {
			return j, false
		}
	}
	j := &badgeJob{id: webui.NewToken(), conferenceID: conferenceID, organizerID: organizerID, started: now}
	b.jobs[j.id] = j
	return j, true
}

type badgesView struct {
	Attendees int
	Layouts   []badges.Layout
	// Form holds the layout chosen and, when it was refused, why.
	Form *form
}

func (s *site) badgesPage(c echo.Context) error {
	return s.renderBadgesPage(c, http.StatusOK, newForm(nil))
}

func (s *site) renderBadgesPage(c echo.Context, status int, f *form) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	list, err := s.reads.Attendees(c.Request().Context(), conf.ID, "", readmodels.MaxLimit, 0)
	if err != nil {
		return err
	}
	return s.render(c, status, "org_badges", view{Title: "Badges · " + conf.Name, Section: "badges", Conference: conf,
		Data: badgesView{Attendees: len(list), Layouts: badges.Layouts(), Form: f}})
}

// startBadges starts rendering every attendee's badge and answers with the
// job's state URL (JSON for the page's script, a redirect for a plain form).
func (s *site) startBadges(c echo.Context) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	wantsJSON := c.Request().Header.Get("Accept") == "application/json"
	f := newForm(formValues(c))
	layout := f.Get("layout")
	if _, err := badges.LookupLayout(layout); err != nil {
		const msg = "Choose one of the listed layouts."
		s.hub.Log.Info("badges refused: unknown layout", "conference", conf.ID, "layout", layout)
		if wantsJSON {
			return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": msg, "field": "layout"})
		}
		f.Fail("layout", msg)
		return s.renderBadgesPage(c, http.StatusUnprocessableEntity, f)
	}
	j, fresh := s.badgeJobs.start(conf.ID, organizerOf(c).ID, s.now())
	if fresh {
		go s.renderBadges(j, conf.Name, layout)
	}
	base := confURL(conf.ID, "")
	if wantsJSON {
		return c.JSON(http.StatusAccepted, map[string]string{"state": base + "/badges/" + j.id})
	}
	return redirect(c, base+"/badges/"+j.id)
}

// badgeList is one badge per named attendee (by email and name, or order
// and name when there is no email, with every seat type they hold), each with a QR token signed by the hub. On failure
// msg is what the organizer is told.
func (s *site) badgeList(ctx context.Context, conferenceID uuid.UUID, conference string) (list []badges.Badge, msg string, err error) {
	signer, err := s.badgeSigner(ctx)
	if err != nil {
		return nil, "The hub's badge signing key could not be read.", err
	}
	issued := s.now()
	var keys []string
	seats := map[string][]string{} // attendee email and name -> seat types, one badge per person
	for offset := 0; ; offset += readmodels.MaxLimit {
		page, err := s.reads.Attendees(ctx, conferenceID, "", readmodels.MaxLimit, offset)
		if err != nil {
			return nil, "The attendee list could not be read.", err
		}
		for _, a := range page {
			key := a.Email + "\x00" + a.Name
			if a.Email == "" {
				// A walk-up buyer who gave no email: the same name on
				// two sales is two people.
				key = a.OrderID.String() + "\x00" + a.Name
			}
			if _, seen := seats[key]; !seen {
				// The QR names the person's first seat; a kiosk scanning
				// it checks that seat's attendee in.
				tok, err := signer.Sign(token.Claims{Conference: conferenceID.String(),
					Seat: onsite.Seat{OrderID: a.OrderID, Position: a.Position}.TokenID(), IssuedAt: issued})
				if err != nil {
					return nil, "The badges could not be signed.", err
				}
				list = append(list, badges.Badge{Conference: conference, Name: a.Name, Company: a.Company, Role: a.Role,
					AccessCode: a.AccessCode, Token: tok})
				keys = append(keys, key)
			}
			seats[key] = append(seats[key], a.SeatTypeName)
		}
		if len(page) < readmodels.MaxLimit {
			break
		}
	}
	for i := range list {
		st := seats[keys[i]]
		sort.Strings(st)
		list[i].SeatTypes = st
	}
	return list, "", nil
}

// renderBadges runs on its own goroutine, bounded by badgeJobTimeout.
func (s *site) renderBadges(j *badgeJob, conference, layout string) {
	ctx, cancel := context.WithTimeout(context.Background(), badgeJobTimeout)
	defer cancel()
	fail := func(msg string) {
		j.mu.Lock()
		j.finished, j.err = true, msg
		j.mu.Unlock()
	}
	list, msg, err := s.badgeList(ctx, j.conferenceID, conference)
	if err != nil {
		s.hub.Log.Error("badges: list", "conference", j.conferenceID, "err", err)
		fail(msg)
		return
	}
	if len(list) == 0 {
		fail("No attendees are named yet: there is nothing to print.")
		return
	}
	j.mu.Lock()
	j.total = len(list)
	j.mu.Unlock()
	var buf bytes.Buffer
	err = badges.Render(ctx, &buf, badges.Style{Layout: layout}, list, func(done, total int) {
		j.mu.Lock()
		j.done, j.total = done, total
		j.mu.Unlock()
	})
	var be *badges.BadgeError
	switch {
	case errors.As(err, &be):
		fail("The badge of " + be.Name + " cannot be printed: " + be.Err.Error() + ".")
	case err != nil:
		s.hub.Log.Error("badges: render", "conference", j.conferenceID, "err", err)
		fail("The badges could not be rendered.")
	default:
		j.mu.Lock()
		j.finished, j.pdf = true, buf.Bytes()
		j.mu.Unlock()
	}
}

func (s *site) badgeJobState(c echo.Context) error {
	conf := conferenceOf(c)
	j := s.badgeJobs.get(c.Param("job"), conf.ID, organizerOf(c).ID)
	if j == nil {
		return s.notFound(c)
	}
	st := j.state(confURL(conf.ID, ""))
	if c.Request().Header.Get("Accept") == "application/json" {
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, st)
	}
	return s.render(c, http.StatusOK, "org_badge_job", view{Title: "Badges · " + conf.Name, Section: "badges", Conference: conf,
		Data: struct {
			State badgeJobState
			URL   string
		}{st, confURL(conf.ID, "/badges/"+j.id)}})
}

func (s *site) badgeJobPDF(c echo.Context) error {
	conf := conferenceOf(c)
	j := s.badgeJobs.get(c.Param("job"), conf.ID, organizerOf(c).ID)
	if j == nil {
		return s.notFound(c)
	}
	j.mu.Lock()
	pdf := j.pdf
	j.mu.Unlock()
	if pdf == nil {
		return s.notFound(c)
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+conf.Slug+`-badges.pdf"`)
	return c.Blob(http.StatusOK, badges.ContentType, pdf)
}

// badgeSigner signs badge QR tokens with the hub's key, the one the kiosk
// registry keeps and gives kiosks at pairing, so any kiosk verifies them
// offline.
func (s *site) badgeSigner(ctx context.Context) (*token.Signer, error) {
	if s.hub.Kiosks == nil {
		return nil, errors.New("no kiosk registry: the hub has no signing key")
	}
	key, err := s.hub.Kiosks.SigningKey(ctx)
	if err != nil {
		return nil, err
	}
	return token.NewHubSigner(key)
}
