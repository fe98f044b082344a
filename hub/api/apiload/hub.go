package apiload

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"conference/hub/api"
	"conference/hub/conferences"
	"conference/hub/hubapp"
	"conference/hub/server"
)

// Hub is a hub in this process, its workers running and the API served on
// a loopback port.
type Hub struct {
	H   *hubapp.Hub
	URL string // the server's root, http://127.0.0.1:port
	// Token is an organizer's API token (Serve's organizer email).
	Token string
	stop  func()
}

// Serve opens the hub on db (a SQLite file or a postgres:// URL), starts its
// workers and serves the API, with an organizer of email holding Token.
func Serve(ctx context.Context, db, email string, log *slog.Logger) (*Hub, error) {
	h, err := hubapp.Open(ctx, hubapp.Config{DB: db, Logger: log})
	if err != nil {
		return nil, err
	}
	handler, err := server.New(h, func(e *echo.Echo) error { return api.Register(e, h, api.Options{}) })
	if err != nil {
		h.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	workers, served := make(chan error, 1), make(chan error, 1)
	go func() { workers <- h.Run(ctx) }()
	go func() { served <- server.Serve(ctx, ln, handler, server.Lifecycle{Grace: 5 * time.Second}, log) }()
	hub := &Hub{H: h, URL: "http://" + ln.Addr().String(), stop: func() {
		cancel()
		<-served
		h.Sync.Close()
		<-workers
		h.Close()
	}}
	org, err := h.Conferences.CreateOrganizer(ctx, conferences.NewOrganizer{Email: email, DisplayName: "Bench"})
	if err == nil {
		hub.Token, err = h.Conferences.IssueAPIToken(ctx, org.ID)
	}
	if err != nil {
		hub.Stop()
		return nil, err
	}
	return hub, nil
}

// Stop stops serving and the workers and closes the hub.
func (h *Hub) Stop() { h.stop() }

// API is the API's root on this hub.
func (h *Hub) API() string { return h.URL + api.Prefix }

// OnSale creates and publishes, through c (this hub's API, or a load
// balancer in front of it), a conference with one seat type of quota, and
// returns once the public read through c shows it and this hub's
// registrations know the quota. It returns the conference's and the seat
// type's ids.
func (h *Hub) OnSale(ctx context.Context, c *Client, slug string, quota int) (conference, seatType string, err error) {
	var conf struct{ ID string }
	start := time.Now().UTC().Add(90 * 24 * time.Hour).Truncate(time.Hour)
	if _, err := c.Call(ctx, "POST", "/organizer/conferences", h.Token, "", map[string]any{
		"slug": slug, "name": "Bench " + slug, "time_zone": "Europe/Lisbon", "currency": "EUR",
		"starts_at": start, "ends_at": start.Add(48 * time.Hour),
	}, http.StatusCreated, &conf); err != nil {
		return "", "", err
	}
	var st struct{ ID string }
	if _, err := c.Call(ctx, "POST", "/organizer/conferences/"+conf.ID+"/seat-types", h.Token, "", map[string]any{
		"name": "Pass", "price": map[string]any{"amount": 19900, "currency": "EUR"}, "quota": quota,
	}, http.StatusCreated, &st); err != nil {
		return "", "", err
	}
	if _, err := c.Call(ctx, "POST", "/organizer/conferences/"+conf.ID+"/publish", h.Token, "", nil, http.StatusOK, nil); err != nil {
		return "", "", err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var pub struct {
			SeatTypes []struct{ Remaining int } `json:"seat_types"`
		}
		_, err := c.Call(ctx, "GET", "/conferences/"+slug, "", "", nil, http.StatusOK, &pub)
		if err == nil && len(pub.SeatTypes) == 1 && pub.SeatTypes[0].Remaining == quota {
			av, aerr := h.H.Registrations.Availability(ctx, MustUUID(conf.ID))
			if aerr == nil && av.Quota(MustUUID(st.ID)) == quota {
				return conf.ID, st.ID, nil
			}
		}
		if time.Now().After(deadline) {
			return "", "", fmt.Errorf("conference %s not on sale after 20 s", slug)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Orders runs clients, each completing orders one after another, for d,
// and returns the rate of complete orders and their requests' latencies.
// The first failure stops the run.
func Orders(ctx context.Context, c *Client, slug, seatType string, clients int, d time.Duration) (float64, *Latencies, error) {
	lat := NewLatencies()
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				if err := CompleteOrder(ctx, c, slug, seatType, lat); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, nil, firstErr
	}
	return float64(done.Load()) / time.Since(start).Seconds(), lat, nil
}
