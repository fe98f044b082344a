package hubapp

import (
	"context"
	"fmt"
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"conference/hub/mail"
	"conference/shared/metrics"
)

// The hub's own metrics, beside the requests and store commits every
// binary records (package metrics). Counts kept in the database are read
// at scrape time, so every replica on PostgreSQL reports the same values
// for them; what is counted in memory (kiosks connected here, mails sent
// from here) is the replica's own, and Prometheus sums replicas.

// mailMetrics count mail deliveries by kind.
type mailMetrics struct {
	sent, failed *prometheus.CounterVec
}

// observeMail counts one attempt at a mail by its kind (order
// confirmation, waitlist offer, ...) and outcome, and passes it on to
// Config.OnMail. The postman (hub/mail) calls it for every attempt.
func (h *Hub) observeMail(o mail.Outcome) {
	switch o.Status {
	case mail.StatusSent:
		h.mails.sent.WithLabelValues(string(o.Kind)).Inc()
	case mail.StatusFailed:
		h.mails.failed.WithLabelValues(string(o.Kind)).Inc()
	}
	if h.cfg.OnMail != nil {
		h.cfg.OnMail(o)
	}
}

// registerMetrics adds the hub's collectors to h.Metrics.
func (h *Hub) registerMetrics() error {
	h.mails = mailMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "mails_sent_total",
			Help: "Mails this replica handed to the mail server (or wrote as files), by kind."}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "mails_failed_total",
			Help: "Mail deliveries that failed on this replica (each is retried; one that keeps failing is a dead letter), by kind."}, []string{"kind"}),
	}
	db := h.Store.DB()
	err := h.Metrics.Register(h.mails.sent, h.mails.failed, h.digestTook,
		metrics.NewGaugeFunc("orders", "Orders of every conference by status, from the read models.", []string{"status"},
			func(ctx context.Context) ([]metrics.Sample, error) {
				counts, err := h.Reads.OrderCounts(ctx)
				if err != nil {
					return nil, err
				}
				out := make([]metrics.Sample, 0, len(counts))
				for s, n := range counts {
					out = append(out, metrics.Sample{Labels: []string{string(s)}, Value: float64(n)})
				}
				return out, nil
			}),
		metrics.NewGaugeFunc("outbox_backlog_messages", "Messages in the outbox due now and not dispatched yet.", nil,
			func(ctx context.Context) ([]metrics.Sample, error) {
				var n int64
				err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE dispatched_at IS NULL AND dead = 0 AND not_before <= $1`,
					h.now().UnixMilli()).Scan(&n)
				return metrics.One(float64(n)), err
			}),
		metrics.NewGaugeFunc("outbox_dead_letters", "Messages that failed every attempt and wait for someone to look at them.", nil,
			func(ctx context.Context) ([]metrics.Sample, error) {
				var n int64
				err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM dead_letters d JOIN messages m ON m.message_id = d.message_id
					WHERE m.dead = 1`).Scan(&n)
				return metrics.One(float64(n)), err
			}),
		metrics.NewGaugeFunc("kiosks_connected", "Kiosks with a live sync connection to this replica.", nil,
			func(context.Context) ([]metrics.Sample, error) {
				return metrics.One(float64(len(h.Sync.Online()))), nil
			}),
		metrics.NewGaugeFunc("kiosk_upload_backlog_events", "Events a kiosk recorded that the hub has not stored yet, as the kiosk last said.",
			[]string{"kiosk"}, h.perKiosk(func(k kioskSample) float64 { return float64(k.pending) })),
		metrics.NewGaugeFunc("kiosk_sync_lag_positions", "Hub log positions a kiosk has not applied yet (hub head minus its down checkpoint).",
			[]string{"kiosk"}, h.perKiosk(func(k kioskSample) float64 { return float64(max(0, k.head-k.down)) })),
		metrics.NewGaugeFunc("kiosk_last_seen_timestamp_seconds", "When the hub last heard from a kiosk (Unix seconds; 0 for never).",
			[]string{"kiosk"}, h.perKiosk(func(k kioskSample) float64 { return k.lastSeen })),
	)
	if err != nil {
		return fmt.Errorf("register hub metrics: %w", err)
	}
	return nil
}

type kioskSample struct {
	pending, down, head int64
	lastSeen            float64
}

// perKiosk reads one value per paired kiosk from the registry, where the
// sync server records what each kiosk said.
func (h *Hub) perKiosk(value func(kioskSample) float64) func(ctx context.Context) ([]metrics.Sample, error) {
	return func(ctx context.Context) ([]metrics.Sample, error) {
		list, err := h.Kiosks.Paired(ctx)
		if err != nil {
			return nil, err
		}
		head, err := h.Store.Head(ctx)
		if err != nil {
			return nil, err
		}
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		out := make([]metrics.Sample, 0, len(list))
		for _, k := range list {
			s := kioskSample{pending: k.PendingUploads, down: k.DownCheckpoint, head: head}
			if !k.LastSeen.IsZero() {
				s.lastSeen = float64(k.LastSeen.UnixMilli()) / 1000
			}
			out = append(out, metrics.Sample{Labels: []string{k.ID}, Value: value(s)})
		}
		return out, nil
	}
}
