package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"conference/hub/api"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
)

// env is a running hub on a real SQLite file behind real HTTP.
type env struct {
	t   testing.TB
	h   *hubapp.Hub
	srv *httptest.Server
	f   hubtest.Fixture
}

func newEnv(t testing.TB, opts api.Options) *env {
	return newEnvConfig(t, hubapp.Config{}, opts)
}

func newEnvConfig(t testing.TB, cfg hubapp.Config, opts api.Options) *env {
	t.Helper()
	e := serveAPI(t, hubtest.OpenConfig(t, cfg), opts)
	e.waitPublic(e.f)
	return e
}

// serveAPI serves h's API over loopback HTTP, with a published conference.
func serveAPI(t testing.TB, h *hubapp.Hub, opts api.Options) *env {
	t.Helper()
	handler, err := server.New(h, func(e *echo.Echo) error { return api.Register(e, h, opts) })
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &env{t: t, h: h, srv: srv, f: hubtest.PublishedConference(t, h)}
}

// waitPublic waits until the public read of f's conference shows its three
// seat types: the read models follow the writes by a few milliseconds.
func (e *env) waitPublic(f hubtest.Fixture) {
	e.t.Helper()
	hubtest.Eventually(e.t, 10*time.Second, "public conference", func() error {
		res := e.do(req{method: "GET", path: "/conferences/" + f.Slug})
		var c struct {
			SeatTypes []struct{ ID string } `json:"seat_types"`
		}
		_ = json.Unmarshal(res.body, &c)
		if res.status != http.StatusOK || len(c.SeatTypes) != 3 {
			return fmt.Errorf("status %d, %d seat types", res.status, len(c.SeatTypes))
		}
		return nil
	})
}

// response is what the client saw.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode is the API error code of the body, "" if it is no error body.
func (r response) errorCode() string {
	var b struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &b)
	return b.Error.Code
}

// req is one request: method, path under /api/v1, an optional body (a
// string is sent as is, anything else as JSON) and headers.
type req struct {
	method, path string
	body         any
	token        string
	code         string
	header       map[string]string
}

func (e *env) do(r req) response {
	e.t.Helper()
	var sent []byte
	switch b := r.body.(type) {
	case nil:
	case string:
		sent = []byte(b)
	case []byte:
		sent = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("encode body: %v", err)
		}
		sent = raw
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(sent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, r.method, e.srv.URL+api.Prefix+r.path, body)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.code != "" {
		hr.Header.Set(api.HeaderAccessCode, r.code)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read %s %s: %v", r.method, r.path, err)
	}
	out := response{status: res.StatusCode, header: res.Header, body: raw}
	checkAgainstSpec(e.t, hr, sent, out)
	return out
}

// must does r and fails the test unless it answers status.
func (e *env) must(status int, r req) response {
	e.t.Helper()
	res := e.do(r)
	if res.status != status {
		e.t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, res.status, status, res.body)
	}
	return res
}

type placed struct {
	OrderID    string `json:"order_id"`
	AccessCode string `json:"access_code"`
	Status     string `json:"status"`
}

type seatLine struct {
	SeatType string `json:"seat_type"`
	Quantity int    `json:"quantity"`
}

type order struct {
	OrderID  string     `json:"order_id"`
	Status   string     `json:"status"`
	Code     string     `json:"access_code"`
	Reserved []seatLine `json:"reserved"`
	Partial  bool       `json:"partial"`
	Total    struct {
		Amount int64 `json:"amount"`
	} `json:"total"`
	ExpiresAt  *time.Time `json:"expires_at"`
	Registrant *struct {
		Name, Email string
	} `json:"registrant"`
}

// place places an order for n seats of seatType and returns it.
func (e *env) place(seatType string, n int) placed {
	e.t.Helper()
	var p placed
	e.must(http.StatusCreated, req{method: "POST", path: "/conferences/" + e.f.Slug + "/orders",
		body: map[string]any{"seats": []seatLine{{seatType, n}}}}).decode(e.t, &p)
	return p
}

// name gives the registrant's details of p, which payment (or a free
// order's confirmation) waits for.
func (e *env) name(p placed) {
	e.t.Helper()
	e.must(http.StatusOK, req{method: "PUT", path: "/orders/" + p.OrderID + "/registrant", code: p.AccessCode,
		body: map[string]string{"name": "Ada Lovelace", "email": "ada@example.com"}})
}

// waitWhile long-polls the order until it leaves status.
func (e *env) waitWhile(p placed, status string) order {
	e.t.Helper()
	var o order
	e.must(http.StatusOK, req{method: "GET", path: "/orders/" + p.OrderID + "?wait_while=" + status + "&wait=10", code: p.AccessCode}).decode(e.t, &o)
	return o
}

// head is the event log's head, which no refused request may move.
func (e *env) head() int64 {
	e.t.Helper()
	h, err := e.h.Store.Head(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}
