// Package limits keeps rate limiters' token buckets in the hub's database
// (webui.Buckets), so that replicas of a hub sharing PostgreSQL count one
// client's attempts together: a guesser cannot multiply a limit by the
// number of replicas behind the load balancer. Each step is one statement,
// atomic on either database.
package limits

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"conference/shared/sqldb"
	"conference/shared/webui"
)

// Buckets is webui.Buckets on the hub database's rate_buckets table
// (the migrations.Web component).
type Buckets struct {
	db    *sqldb.DB
	calls atomic.Int64
}

var _ webui.Buckets = (*Buckets)(nil)

// New returns buckets in db.
func New(db *sqldb.DB) *Buckets { return &Buckets{db: db} }

// refilled is the bucket's tokens refilled to now ($3, Unix ms) at $4
// tokens a millisecond, at most the burst $2; written once for both
// databases (no scalar min or max on SQLite's side of the subset).
const refilled = `(CASE WHEN rate_buckets.tokens + (CASE WHEN CAST($3 AS BIGINT) > rate_buckets.at THEN CAST($3 AS BIGINT) - rate_buckets.at ELSE 0 END) * CAST($4 AS DOUBLE PRECISION) > CAST($2 AS DOUBLE PRECISION)
	THEN CAST($2 AS DOUBLE PRECISION)
	ELSE rate_buckets.tokens + (CASE WHEN CAST($3 AS BIGINT) > rate_buckets.at THEN CAST($3 AS BIGINT) - rate_buckets.at ELSE 0 END) * CAST($4 AS DOUBLE PRECISION) END)`

const laterAt = `CASE WHEN CAST($3 AS BIGINT) > rate_buckets.at THEN CAST($3 AS BIGINT) ELSE rate_buckets.at END`

const sqlTake = `INSERT INTO rate_buckets (name, tokens, at, took) VALUES ($1, CAST($2 AS DOUBLE PRECISION) - 1, CAST($3 AS BIGINT), 1)
	ON CONFLICT (name) DO UPDATE SET
		tokens = CASE WHEN ` + refilled + ` >= 1 THEN ` + refilled + ` - 1 ELSE ` + refilled + ` END,
		took = CASE WHEN ` + refilled + ` >= 1 THEN 1 ELSE 0 END,
		at = ` + laterAt + `
	RETURNING took, tokens`

const sqlGiveBack = `UPDATE rate_buckets SET
		tokens = CASE WHEN ` + refilled + ` + 1 > CAST($2 AS DOUBLE PRECISION) THEN CAST($2 AS DOUBLE PRECISION) ELSE ` + refilled + ` + 1 END,
		at = ` + laterAt + `
	WHERE name = $1`

// perMilli converts a rate in tokens per second.
func perMilli(every rate.Limit) float64 { return float64(every) / 1000 }

// Take implements webui.Buckets.
func (b *Buckets) Take(ctx context.Context, key string, every rate.Limit, burst int, now time.Time) (bool, float64, error) {
	b.sweep(ctx, now)
	var took int
	var tokens float64
	if err := b.db.QueryRowContext(ctx, sqlTake, key, float64(burst), now.UnixMilli(), perMilli(every)).Scan(&took, &tokens); err != nil {
		return false, 0, fmt.Errorf("take a token of %s: %w", key, err)
	}
	return took == 1, tokens, nil
}

// GiveBack implements webui.Buckets.
func (b *Buckets) GiveBack(ctx context.Context, key string, every rate.Limit, burst int, now time.Time) error {
	if _, err := b.db.ExecContext(ctx, sqlGiveBack, key, float64(burst), now.UnixMilli(), perMilli(every)); err != nil {
		return fmt.Errorf("give a token of %s back: %w", key, err)
	}
	return nil
}

// Tokens implements webui.Buckets: a read, no write.
func (b *Buckets) Tokens(ctx context.Context, key string, every rate.Limit, burst int, now time.Time) (float64, error) {
	var tokens float64
	var at int64
	err := b.db.QueryRowContext(ctx, `SELECT tokens, at FROM rate_buckets WHERE name = $1`, key).Scan(&tokens, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return float64(burst), nil
	}
	if err != nil {
		return 0, fmt.Errorf("read tokens of %s: %w", key, err)
	}
	if elapsed := now.UnixMilli() - at; elapsed > 0 {
		tokens += float64(elapsed) * perMilli(every)
	}
	return min(tokens, float64(burst)), nil
}

// sweepEvery is how many Takes pass between deletions of old buckets.
const sweepEvery = 1000

// sweep deletes buckets untouched for a day (now and then): every limit in
// use refills in minutes, so such a bucket is full, the same as none.
func (b *Buckets) sweep(ctx context.Context, now time.Time) {
	if b.calls.Add(1)%sweepEvery != 0 {
		return
	}
	b.db.ExecContext(ctx, `DELETE FROM rate_buckets WHERE at < $1`, now.Add(-24*time.Hour).UnixMilli()) //nolint:errcheck // best effort
}
