package readmodels

import (
	"context"
	"fmt"

	"conference/shared/registrations"
)

// OrderCounts counts the orders of every conference by status, for the
// operator's metrics. Statuses no order has are present with 0.
func (m *Models) OrderCounts(ctx context.Context) (map[registrations.OrderStatus]int, error) {
	out := map[registrations.OrderStatus]int{}
	for _, s := range []registrations.OrderStatus{registrations.OrderStatusPending, registrations.OrderStatusReserved,
		registrations.OrderStatusConfirmed, registrations.OrderStatusExpired, registrations.OrderStatusRejected,
		registrations.OrderStatusCancelled} {
		out[s] = 0
	}
	rows, err := m.store.DB().QueryContext(ctx, `SELECT status, COUNT(*) FROM rm_orders GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("count orders: %w", err)
		}
		if status != "" { // a stub whose placement is not projected yet
			out[registrations.OrderStatus(status)] += n
		}
	}
	return out, rows.Err()
}
