package readmodels

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"

	"conference/migrations"
	"conference/shared/registrations"
	"conference/shared/sqldb"
)

// sqlOrderV3 writes an order row as schemas 1 to 3 had it (no reason).
const sqlOrderV3 = `INSERT OR REPLACE INTO rm_orders (order_id, conference_id, line, status, access_code, name, email,
	kiosk_id, requested, reserved, quote, total_amount, discount_amount, currency, promo_code, expires_at, placed_at, confirmed_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`

// migrateTo applies the read-model migrations up to and including last.
func migrateTo(t *testing.T, db *sql.DB, last string) {
	t.Helper()
	upTo := fstest.MapFS{}
	names, err := fs.Glob(migrations.ReadModels.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name > last {
			continue
		}
		body, err := fs.ReadFile(migrations.ReadModels.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		upTo[name] = &fstest.MapFile{Data: body}
	}
	if err := migrations.Apply(context.Background(), &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, migrations.Component{Name: migrations.ReadModels.Name, FS: upTo}); err != nil {
		t.Fatal(err)
	}
}

func TestClosedOrdersProjectedBeforeTheReasonColumnTakeTheirNewShape(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Given orders projected at schema 3: an expired one listing the seats
	// it released, a rejected one priced at what it asked for,
	migrateTo(t, db, "0003_orders_rowid.sql")
	conf, seatType := uuid.New(), uuid.New()
	expired, rejected, confirmed := uuid.New(), uuid.New(), uuid.New()
	seats := `[{"seat_type":"` + seatType.String() + `","quantity":2}]`
	quote := `{"lines":[{"seat_type":"` + seatType.String() + `","quantity":2,"unit_price":{"amount":100,"currency":"EUR"},` +
		`"subtotal":{"amount":200,"currency":"EUR"},"discount":{"amount":0,"currency":"EUR"},"total":{"amount":200,"currency":"EUR"}}],` +
		`"subtotal":{"amount":200,"currency":"EUR"},"discount":{"amount":20,"currency":"EUR"},"total":{"amount":180,"currency":"EUR"},"promo_code":"TEN"}`
	for _, o := range []struct {
		id     uuid.UUID
		status string
	}{{expired, "expired"}, {rejected, "rejected"}, {confirmed, "confirmed"}} {
		if _, err := db.ExecContext(ctx, sqlOrderV3, o.id[:], conf[:], 7, o.status, "CODE", "Ann", "ann@example.com", "",
			seats, seats, quote, 180, 20, "EUR", "TEN", 0, 0, 0); err != nil {
			t.Fatal(err)
		}
	}

	// when the read models are migrated,
	if err := migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, migrations.ReadModels); err != nil {
		t.Fatal(err)
	}

	// then the expired order holds no seats, the rejected one costs
	// nothing, and the confirmed one is as it was.
	l := &loader{ctx: ctx, db: &sqldb.DB{DB: db, Dialect: sqldb.SQLite}}
	e, err := l.order(expired)
	if err != nil || e.reserved.Total() != 0 || e.requested.Total() != 2 {
		t.Fatalf("expired order after the migration: %+v, %v", e, err)
	}
	r, err := l.order(rejected)
	if err != nil || r.reserved.Total() != 0 || r.quote.Total != registrations.NewMoney(0, "EUR") || len(r.quote.Lines) != 0 || r.reason != "" {
		t.Fatalf("rejected order after the migration: %+v, %v", r, err)
	}
	c, err := l.order(confirmed)
	if err != nil || c.reserved.Total() != 2 || c.quote.Total != registrations.NewMoney(180, "EUR") {
		t.Fatalf("confirmed order after the migration: %+v, %v", c, err)
	}
	// The columns read as the projection writes them, so a migrated
	// database and a rebuilt one have the same digest.
	var total, discount int64
	var promo, quoteText string
	if err := db.QueryRowContext(ctx, `SELECT total_amount, discount_amount, promo_code, quote FROM rm_orders WHERE order_id = $1`, rejected[:]).
		Scan(&total, &discount, &promo, &quoteText); err != nil || total != 0 || discount != 0 || promo != "" {
		t.Fatalf("rejected order's columns: %d %d %q %v", total, discount, promo, err)
	}
	nothing := registrations.Quote{Total: registrations.NewMoney(0, "EUR")}.Nothing()
	if want := jsonText(nothing); quoteText != want {
		t.Fatalf("rejected order's quote = %s, the projection writes %s", quoteText, want)
	}
}

func TestOrdersKeepTheirRowsWhenTheirTableBecomesARowidTable(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Given read models at schema 2, with orders in the WITHOUT ROWID table,
	v2 := fstest.MapFS{}
	for _, name := range []string{"0001_readmodels.sql", "0002_conflicts.sql"} {
		body, err := fs.ReadFile(migrations.ReadModels.FS, name)
		must(err)
		v2[name] = &fstest.MapFile{Data: body}
	}
	must(migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, migrations.Component{Name: migrations.ReadModels.Name, FS: v2}))
	conf := uuid.New()
	ids := []uuid.UUID{uuid.New(), uuid.New()}
	insert := func(id uuid.UUID, status string) {
		t.Helper()
		_, err := db.ExecContext(ctx, sqlOrderV3, id[:], conf[:], 7, status, "CODE-"+status, "Ann", "ann@example.com", "",
			`[]`, `[]`, `{}`, 0, 0, "EUR", "", 0, 0, 0)
		must(err)
	}
	for _, id := range ids {
		insert(id, "placed")
	}

	// when the read models are migrated,
	must(migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, migrations.ReadModels))

	// then rm_orders is a rowid table with its rows and indexes,
	var schema string
	must(db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'rm_orders'`).Scan(&schema))
	if strings.Contains(strings.ToUpper(schema), "WITHOUT ROWID") {
		t.Fatalf("rm_orders after the migration: %s", schema)
	}
	var indexes int
	must(db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_orders'
		AND name IN ('rm_orders_by_conference', 'rm_orders_by_access_code')`).Scan(&indexes))
	if indexes != 2 {
		t.Fatalf("indexes on rm_orders after the migration: got %d, want 2", indexes)
	}
	l := &loader{ctx: ctx, db: &sqldb.DB{DB: db, Dialect: sqldb.SQLite}}
	for _, id := range ids {
		o, err := l.order(id)
		must(err)
		if o == nil || o.status != "placed" || o.conferenceID != conf || o.line != 7 {
			t.Fatalf("order %s after the migration: got %+v", id, o)
		}
	}
	// and writing an order again still replaces its row.
	insert(ids[0], "confirmed")
	var n int
	must(db.QueryRowContext(ctx, `SELECT COUNT(*) FROM rm_orders`).Scan(&n))
	if o, _ := l.order(ids[0]); n != 2 || o == nil || o.status != "confirmed" {
		t.Fatalf("after writing an order again: %d rows, order %+v", n, o)
	}
}
