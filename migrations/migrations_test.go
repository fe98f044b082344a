package migrations_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	_ "modernc.org/sqlite"

	"conference/migrations"
	"conference/shared/sqldb"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func component(files map[string]string) migrations.Component {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return migrations.Component{Name: "test", FS: fsys}
}

func tables(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func TestApplyIsIdempotentAndRecordsVersions(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, migrations.EventStore); err != nil {
			t.Fatalf("apply #%d: %v", i+1, err)
		}
	}
	var n int
	db.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE component = 'eventstore'`).Scan(&n)
	list, _ := migrations.EventStore.List()
	if n != len(list) {
		t.Fatalf("recorded %d migrations, want %d", n, len(list))
	}
}

func TestFailedMigrationLeavesDatabaseAsItWas(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	good := component(map[string]string{"0001_a.sql": `CREATE TABLE a (x INTEGER);`})
	if err := migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, good); err != nil {
		t.Fatal(err)
	}
	before := tables(t, db)
	bad := component(map[string]string{
		"0001_a.sql": `CREATE TABLE a (x INTEGER);`,
		"0002_b.sql": `CREATE TABLE b (y INTEGER);`,
		"0003_c.sql": `CREATE TABLE c (z INTEGER); THIS IS NOT SQL;`,
	})
	err := migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, bad)
	if err == nil || !strings.Contains(err.Error(), "0003_c") {
		t.Fatalf("got %v, want an error naming migration 0003_c", err)
	}
	if after := tables(t, db); after != before {
		t.Fatalf("tables after failed migration: %s, want unchanged %s", after, before)
	}
}

func TestDatabaseNewerThanBinaryIsRefused(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	newer := component(map[string]string{"0001_a.sql": `CREATE TABLE a (x INTEGER);`, "0002_b.sql": `CREATE TABLE b (x INTEGER);`})
	if err := migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, newer); err != nil {
		t.Fatal(err)
	}
	older := component(map[string]string{"0001_a.sql": `CREATE TABLE a (x INTEGER);`})
	err := migrations.Apply(ctx, &sqldb.DB{DB: db, Dialect: sqldb.SQLite}, older)
	if !errors.Is(err, migrations.ErrDatabaseNewer) || !strings.Contains(err.Error(), "version 2") || !strings.Contains(err.Error(), "up to 1") {
		t.Fatalf("got %v, want ErrDatabaseNewer saying version 2 vs up to 1", err)
	}
}

func TestMisnumberedMigrationsAreRejected(t *testing.T) {
	gap := component(map[string]string{"0001_a.sql": `SELECT 1;`, "0003_c.sql": `SELECT 1;`})
	if _, err := gap.List(); err == nil {
		t.Fatal("a gap in migration numbers was accepted")
	}
}
