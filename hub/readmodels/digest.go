package readmodels

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
)

// digestQueries define each read model's content for Digest: every column
// that a query can show, in a total order, so two databases built from the
// same logs hash alike however the logs were interleaved while following.
var digestQueries = []struct{ name, query string }{
	{"conferences", `SELECT * FROM rm_conferences ORDER BY conference_id`},
	{"seat_types", `SELECT * FROM rm_seat_types ORDER BY seat_type_id`},
	{"orders", `SELECT * FROM rm_orders ORDER BY order_id`},
	{"order_seats", `SELECT * FROM rm_order_seats ORDER BY order_id, position`},
	{"attendees", `SELECT conference_id, order_id, position, seat_type, name, email, company, role
		FROM (` + attendeeRows + `) AS attendees ORDER BY conference_id, order_id, position`},
	{"organizer_orders", `SELECT conference_id, line, order_id, status, access_code, name, email, total_amount, currency
		FROM rm_orders ORDER BY conference_id, line, order_id`},
	{"waitlist", `SELECT * FROM rm_waitlist ORDER BY conference_id, seat_type, line, entry_id`},
	{"promo_codes", `SELECT * FROM rm_promo_uses ORDER BY conference_id, code, order_id`},
	{"seat_conflicts", `SELECT * FROM rm_seat_conflicts ORDER BY conference_id, conflict`},
	{"checkin_warnings", `SELECT * FROM rm_checkin_warnings ORDER BY check_in_event`},
	{"checkins", `SELECT * FROM rm_checkins ORDER BY order_id, position`},
}

// Digest returns one stable hash (hex SHA-256) per read model, so a live
// hub, a rebuilt one and a kiosk can prove they hold the same models.
func (m *Models) Digest(ctx context.Context) (map[string]string, error) {
	out := make(map[string]string, len(digestQueries))
	for _, d := range digestQueries {
		sum, err := m.digest(ctx, d.query)
		if err != nil {
			return nil, fmt.Errorf("digest of %s: %w", d.name, err)
		}
		out[d.name] = sum
	}
	return out, nil
}

func (m *Models) digest(ctx context.Context, query string) (string, error) {
	rows, err := m.store.DB().QueryContext(ctx, query)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := sha256.New()
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		for _, v := range vals {
			writeValue(h, v)
		}
		h.Write([]byte{'\n'})
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeValue writes v typed and length-prefixed, so no two rows collide by
// shifting text between columns.
func writeValue(h hash.Hash, v any) {
	var b []byte
	switch x := v.(type) {
	case nil:
		b = []byte("n")
	case int64:
		b = strconv.AppendInt([]byte("i"), x, 10)
	case float64:
		b = strconv.AppendFloat([]byte("f"), x, 'g', -1, 64)
	case string:
		b = append([]byte("s"), x...)
	case []byte:
		b = append([]byte("b"), x...)
	default:
		b = fmt.Appendf([]byte("?"), "%v", x)
	}
	h.Write(strconv.AppendInt(nil, int64(len(b)), 10))
	h.Write([]byte{':'})
	h.Write(b)
}
