package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
	"conference/shared/eventsourcing"
	"conference/shared/registrations"
)

// seatTypeCounts is a seat type with where its seats are.
type seatTypeCounts struct {
	ID        uuid.UUID           `json:"id"`
	Name      string              `json:"name"`
	Price     registrations.Money `json:"-"`
	Quota     int                 `json:"quota"`
	Sold      int                 `json:"sold"`
	Reserved  int                 `json:"reserved"`
	Allocated int                 `json:"allocated"`
	Free      int                 `json:"free"`
	OnSite    conferences.OnSitePolicy
}

// seatCounts reads the seat types from Conference Management and their
// counts from the conference's SeatsAvailability.
func (s *site) seatCounts(ctx context.Context, conf *conferences.Conference) ([]seatTypeCounts, error) {
	list, err := s.hub.Conferences.ListSeatTypes(ctx, conf.OrganizerID, conf.ID)
	if err != nil {
		return nil, err
	}
	av, err := s.availability(ctx, conf.ID)
	if err != nil {
		return nil, err
	}
	out := make([]seatTypeCounts, 0, len(list))
	for _, st := range list {
		out = append(out, seatTypeCounts{
			ID: st.ID, Name: st.Name, Price: st.Price, Quota: st.Quota, OnSite: st.OnSite,
			Sold: av.SoldCount(st.ID), Reserved: av.ReservedCount(st.ID), Allocated: av.AllocatedCount(st.ID),
			Free: av.Remaining(st.ID),
		})
	}
	return out, nil
}

// availability is the conference's SeatsAvailability; before the first
// seat type reaches the registrations context it is empty.
func (s *site) availability(ctx context.Context, conferenceID uuid.UUID) (*registrations.SeatsAvailability, error) {
	av, err := s.hub.Registrations.Availability(ctx, conferenceID)
	if errors.Is(err, eventsourcing.ErrNotFound) {
		return registrations.NewSeatsAvailability(), nil
	}
	return av, err
}

// liveStream sends the conference's seat counts as server-sent events
// (event "counts").
func (s *site) liveStream(c echo.Context) error {
	conf := conferenceOf(c)
	return s.stream(c, "counts", func(ctx context.Context, _ int64) (any, error) { return s.seatCounts(ctx, conf) })
}

// stream sends what read returns as server-sent events named event: once
// at once, then each time the event log grows and the value changed (the
// store's WaitForAppend, no polling), with a comment line as heartbeat so
// proxies keep the connection. read gets the log head the value should
// reflect. It ends when the browser goes away or the hub shuts down.
func (s *site) stream(c echo.Context, event string, read func(ctx context.Context, head int64) (any, error)) error {
	ctx := c.Request().Context()
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var last []byte
	for {
		head, err := s.hub.Store.Head(ctx)
		if err != nil {
			return nil
		}
		v, err := read(ctx, head)
		if err != nil {
			if ctx.Err() == nil {
				s.hub.Log.Warn("live page", "event", event, "path", c.Request().URL.Path, "err", err)
			}
			return nil
		}
		data, _ := json.Marshal(v)
		if string(data) != string(last) {
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
				return nil
			}
			last = data
		} else if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil {
			return nil
		}
		w.Flush()
		wait, cancel := context.WithTimeout(ctx, 25*time.Second)
		err = s.hub.Store.WaitForAppend(wait, head)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && wait.Err() == nil {
			return nil // store closed
		}
	}
}
