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
	"conference/shared/sqldb"
)

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
		_, err := db.ExecContext(ctx, sqlOrder, id[:], conf[:], 7, status, "CODE-"+status, "Ann", "ann@example.com", "",
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
