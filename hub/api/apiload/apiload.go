// Package apiload drives the hub's JSON API over real HTTP the way
// registrants do, for the benchmarks (apibench, clusterbench): one client
// with a connection per concurrent caller, latencies by request kind, and
// a complete purchase.
package apiload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"conference/hub/api"
)

// Client calls the API over HTTP with keep-alive connections, one per
// concurrent caller.
type Client struct {
	base string
	http *http.Client
}

// NewClient calls the API at base (ending in /api/v1).
func NewClient(base string, conns int) *Client {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &Client{base: base, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Close drops the idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Call sends one request and decodes the answer into out (if not nil),
// failing unless the status is want. It returns the request's latency.
func (c *Client) Call(ctx context.Context, method, path, token, code string, body any, want int, out any) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if code != "" {
		req.Header.Set(api.HeaderAccessCode, code)
	}
	start := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(start)
	if err != nil {
		return took, err
	}
	if res.StatusCode != want {
		return took, &StatusError{Method: method, Path: path, Got: res.StatusCode, Want: want, Body: raw}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return took, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return took, nil
}

// StatusError is an answer with another status than the one wanted.
type StatusError struct {
	Method, Path string
	Got, Want    int
	Body         []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: status %d, want %d: %s", e.Method, e.Path, e.Got, e.Want, e.Body)
}

// Latencies collects request durations by kind.
type Latencies struct {
	mu sync.Mutex
	by map[string][]time.Duration
}

// NewLatencies returns an empty collection.
func NewLatencies() *Latencies { return &Latencies{by: map[string][]time.Duration{}} }

// Add records one request of kind.
func (l *Latencies) Add(kind string, d time.Duration) {
	l.mu.Lock()
	l.by[kind] = append(l.by[kind], d)
	l.mu.Unlock()
}

// P99 is the 99th percentile of each kind.
func (l *Latencies) P99() map[string]time.Duration { return l.Quantile(0.99) }

// Quantile is the q-quantile (0 < q < 1) of each kind.
func (l *Latencies) Quantile(q float64) map[string]time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]time.Duration{}
	for k, ds := range l.by {
		s := slices.Clone(ds)
		slices.Sort(s)
		out[k] = s[min(len(s)-1, int(float64(len(s))*q))]
	}
	return out
}

// MustUUID parses an id the API returned.
func MustUUID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		panic(err)
	}
	return id
}

// PlacedOrder is the API's answer to placing an order.
type PlacedOrder struct {
	OrderID    string `json:"order_id"`
	AccessCode string `json:"access_code"`
}

// OrderStatus is the part of an order a purchase follows.
type OrderStatus struct {
	Status string `json:"status"`
}

// CompleteOrder runs one registrant's purchase: place, wait for the
// reservation, give the registrant's details, start payment, accept it,
// wait for confirmation.
func CompleteOrder(ctx context.Context, c *Client, slug, seatType string, lat *Latencies) error {
	var p PlacedOrder
	d, err := c.Call(ctx, "POST", "/conferences/"+slug+"/orders", "", "",
		map[string]any{"seats": []map[string]any{{"seat_type": seatType, "quantity": 1}}}, http.StatusCreated, &p)
	if err != nil {
		return err
	}
	lat.Add("place", d)
	var o OrderStatus
	if d, err = c.Call(ctx, "GET", "/orders/"+p.OrderID+"?wait_while=pending", "", p.AccessCode, nil, http.StatusOK, &o); err != nil {
		return err
	}
	lat.Add("wait reserved", d)
	if o.Status != "reserved" {
		return fmt.Errorf("order %s is %s, want reserved", p.OrderID, o.Status)
	}
	// Payment starts once the registrant has given their details.
	if d, err = c.Call(ctx, "PUT", "/orders/"+p.OrderID+"/registrant", "", p.AccessCode,
		map[string]string{"name": "Bench Registrant", "email": "bench@example.com"}, http.StatusOK, nil); err != nil {
		return err
	}
	lat.Add("set registrant", d)
	var pay struct {
		PaymentID string `json:"payment_id"`
	}
	if d, err = c.Call(ctx, "POST", "/orders/"+p.OrderID+"/payment", "", p.AccessCode, nil, http.StatusOK, &pay); err != nil {
		return err
	}
	lat.Add("start payment", d)
	if d, err = c.Call(ctx, "POST", "/payments/"+pay.PaymentID+"/accept", "", "", nil, http.StatusOK, nil); err != nil {
		return err
	}
	lat.Add("accept payment", d)
	if d, err = c.Call(ctx, "GET", "/orders/"+p.OrderID+"?wait_while=reserved", "", p.AccessCode, nil, http.StatusOK, &o); err != nil {
		return err
	}
	lat.Add("wait confirmed", d)
	if o.Status != "confirmed" {
		return fmt.Errorf("order %s is %s, want confirmed", p.OrderID, o.Status)
	}
	return nil
}
