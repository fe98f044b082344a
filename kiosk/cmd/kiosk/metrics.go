package main

import (
	"context"
	"fmt"

	"conference/kiosk"
	"conference/shared/metrics"
)

// registerMetrics adds the kiosk's sync gauges to set, read from the
// kiosk's status at each scrape.
func registerMetrics(set *metrics.Set, k *kiosk.Kiosk) error {
	gauge := func(name, help string, value func(kiosk.Status) float64) *metrics.GaugeFunc {
		return metrics.NewGaugeFunc(name, help, nil, func(ctx context.Context) ([]metrics.Sample, error) {
			st, err := k.Status(ctx)
			if err != nil {
				return nil, err
			}
			return metrics.One(value(st)), nil
		})
	}
	err := set.Register(
		gauge("sync_upload_backlog_events", "Events this kiosk recorded that the hub has not acknowledged yet.",
			func(st kiosk.Status) float64 { return float64(st.PendingUpload) }),
		gauge("sync_lag_positions", "Hub log positions this kiosk has not applied yet, as far as it last heard from the hub.",
			func(st kiosk.Status) float64 { return float64(max(0, st.HubHead-st.HubSeen)) }),
		gauge("sync_online", "1 while the kiosk has a live connection to its hub.",
			func(st kiosk.Status) float64 { return boolValue(st.Online) }),
		gauge("kiosk_can_record", "1 while the kiosk's database takes writes (0 after a write failed: disk full, read-only).",
			func(st kiosk.Status) float64 { return boolValue(st.CanRecord) }),
		gauge("kiosk_checked_in_attendees", "Attendees checked in, at this kiosk or others, as this kiosk knows.",
			func(st kiosk.Status) float64 { return float64(st.Stats.CheckedIn) }),
	)
	if err != nil {
		return fmt.Errorf("register kiosk metrics: %w", err)
	}
	return nil
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
