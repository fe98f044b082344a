package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
)

// Check-in at a glance: per seat type, the seats checked in against those
// sold, and the latest arrivals, kept current while the page is open
// (server-sent events, like the seat counts of the overview). Check-ins
// reach the hub as kiosks sync; an offline door's arrivals appear when it
// reconnects.

// recentCheckIns is how many of the latest arrivals the page lists.
const recentCheckIns = 15

type attendanceLine struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Sold      int       `json:"sold"`
	CheckedIn int       `json:"checked_in"`
	Percent   int       `json:"percent"`
}

type arrival struct {
	Name     string `json:"name"`
	SeatType string `json:"seat_type"`
	Kiosk    string `json:"kiosk"`
	At       string `json:"at"`
}

// attendanceData is the page's figures, and the live stream's payload.
type attendanceData struct {
	Lines     []attendanceLine `json:"lines"`
	Sold      int              `json:"sold"`
	CheckedIn int              `json:"checked_in"`
	Percent   int              `json:"percent"`
	Recent    []arrival        `json:"recent"`
}

func percent(part, whole int) int {
	if whole <= 0 {
		return 0
	}
	return min(100, part*100/whole)
}

// attendance reads the figures of conf from the read models.
func (s *site) attendance(ctx context.Context, conf *conferences.Conference) (attendanceData, error) {
	a, err := s.reads.Attendance(ctx, conf.ID)
	if err != nil {
		return attendanceData{}, err
	}
	d := attendanceData{Sold: a.Sold, CheckedIn: a.CheckedIn, Percent: percent(a.CheckedIn, a.Sold), Lines: []attendanceLine{}, Recent: []arrival{}}
	for _, l := range a.SeatTypes {
		d.Lines = append(d.Lines, attendanceLine{ID: l.SeatType, Name: l.Name, Sold: l.Sold, CheckedIn: l.CheckedIn, Percent: percent(l.CheckedIn, l.Sold)})
	}
	list, err := s.reads.CheckIns(ctx, conf.ID, "", recentCheckIns, 0)
	if err != nil {
		return attendanceData{}, err
	}
	names := map[string]string{}
	if ks, err := s.hub.Kiosks.List(ctx, conf.OrganizerID, conf.ID); err == nil {
		for _, k := range ks {
			names[k.ID] = k.Name
		}
	}
	for _, c := range list {
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("%s (seat %d of %s, not named)", c.Registrant, c.Position+1, c.AccessCode)
		}
		kiosk := names[c.KioskID]
		if kiosk == "" {
			kiosk = "a kiosk"
		}
		d.Recent = append(d.Recent, arrival{Name: name, SeatType: c.SeatTypeName, Kiosk: kiosk, At: c.At.In(conf.Location()).Format("15:04 MST")})
	}
	return d, nil
}

func (s *site) attendancePage(c echo.Context) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	d, err := s.attendance(c.Request().Context(), conf)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "org_attendance", view{Title: "Check-in · " + conf.Name, Section: "attendance", Conference: conf, Data: d})
}

// attendanceStream sends the figures (event "attendance") as check-ins
// arrive: each append to the log, once the read models reflect it.
func (s *site) attendanceStream(c echo.Context) error {
	if s.reads == nil {
		return errNoReads
	}
	conf := conferenceOf(c)
	return s.stream(c, "attendance", func(ctx context.Context, head int64) (any, error) {
		if err := s.reads.WaitFor(ctx, head); err != nil {
			return nil, err
		}
		return s.attendance(ctx, conf)
	})
}
