// Package metrics is the Prometheus side of both binaries: a registry of
// their own (never the global one, so tests run several hubs in one
// process), the HTTP request metrics every route shares, the event store's
// commit metrics, gauges read at scrape time, and the /metrics handler.
//
// The event stores and the domain know nothing of it: a store reports its
// commits to an eventstore.CommitObserver, which Set.StoreObserver builds
// here. Every name starts with "conference_". On PostgreSQL each replica
// serves its own /metrics and nothing is labelled by replica: Prometheus
// scrapes each one as a target of its own.
package metrics

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"conference/shared/eventstore"
)

// Path is where both binaries serve their metrics.
const Path = "/metrics"

// Namespace prefixes every metric name.
const Namespace = "conference"

// Set is one process's metrics: what every binary records (requests, store
// commits, the Go runtime) and whatever the binary registers beside them.
type Set struct {
	reg *prometheus.Registry
	log *slog.Logger

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	appended       prometheus.Counter
	commits        prometheus.Histogram
	commitFailures prometheus.Counter
}

// New returns a Set with the request, store and runtime metrics registered.
func New(log *slog.Logger) *Set {
	if log == nil {
		log = slog.Default()
	}
	s := &Set{reg: prometheus.NewRegistry(), log: log}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests answered, by route pattern (never the raw path), method and status code.",
	}, []string{"route", "method", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route pattern, method and status code (streams and WebSockets last as long as they stay open).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method", "code"})
	s.appended = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "store", Name: "appended_events_total",
		Help: "Events this process appended to its event store.",
	})
	s.commits = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "store", Name: "commit_duration_seconds",
		Help:    "Time the event store's writer took for one transaction (a group of appends), until it was durable.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	s.commitFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Subsystem: "store", Name: "commit_failures_total",
		Help: "Transactions of the event store's writer that failed (nothing of them was stored).",
	})
	s.reg.MustRegister(s.requests, s.latency, s.appended, s.commits, s.commitFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// Register adds the binary's own collectors.
func (s *Set) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := s.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Handler serves the metrics in Prometheus's text format. A gauge whose
// reading fails is left out of that scrape (and logged); the rest are
// served.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{s.log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      s.reg,
	})
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics", "err", v) }

// StoreObserver records an event store's commits: events appended, commit
// latency, failed transactions.
func (s *Set) StoreObserver() eventstore.CommitObserver {
	return func(c eventstore.Commit) {
		if c.Err != nil {
			s.commitFailures.Inc()
			return
		}
		s.appended.Add(float64(c.Events))
		s.commits.Observe(c.Duration.Seconds())
	}
}

// Middleware records every request by its route pattern (c.Path(): the
// pattern the router matched, so /orders/:oid is one series however many
// orders there are; "unmatched" when no route did), method and final
// status. It answers a handler's error itself (c.Error) so the status is
// the one sent; mount it outermost.
func (s *Set) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			labels := prometheus.Labels{"route": route, "method": method(c.Request().Method), "code": strconv.Itoa(c.Response().Status)}
			s.requests.With(labels).Inc()
			s.latency.With(labels).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// method keeps the method label to the methods the binaries answer, so a
// client inventing methods cannot add series.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// Sample is one value of a gauge read at scrape time, with its label
// values in the order the gauge names them.
type Sample struct {
	Labels []string
	Value  float64
}

// GaugeFunc is a gauge (with labels or not) whose samples are read when
// Prometheus scrapes: counts kept in a database (orders by status, the
// outbox's backlog) are read where they live rather than mirrored. Each
// read gets a few seconds.
type GaugeFunc struct {
	desc *prometheus.Desc
	read func(ctx context.Context) ([]Sample, error)
}

// NewGaugeFunc describes a gauge conference_<name> with the given labels,
// read by read at each scrape.
func NewGaugeFunc(name, help string, labels []string, read func(ctx context.Context) ([]Sample, error)) *GaugeFunc {
	return &GaugeFunc{desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil), read: read}
}

// Describe implements prometheus.Collector.
func (g *GaugeFunc) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *GaugeFunc) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	samples, err := g.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.desc, err)
		return
	}
	for _, smp := range samples {
		m, err := prometheus.NewConstMetric(g.desc, prometheus.GaugeValue, smp.Value, smp.Labels...)
		if err != nil {
			m = prometheus.NewInvalidMetric(g.desc, err)
		}
		ch <- m
	}
}

// One is a gauge's single sample without labels.
func One(v float64) []Sample { return []Sample{{Value: v}} }

// Mount serves the metrics at Path on e. With a token, a scrape must send
// "Authorization: Bearer <token>" (Prometheus's authorization setting);
// without one the metrics are open to whoever reaches the port.
func (s *Set) Mount(e *echo.Echo, token string) {
	h := s.Handler()
	e.GET(Path, func(c echo.Context) error {
		if token != "" && !bearer(c.Request(), token) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return c.String(http.StatusUnauthorized, "metrics need a bearer token\n")
		}
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	})
}

func bearer(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
