package migrations_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"conference/migrations"
	"conference/shared/pgtest"
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

// component is a test component, the same SQL on both databases.
func component(files map[string]string) migrations.Component {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return migrations.Component{Name: "test", FS: fsys, PG: fsys}
}

// eachDB runs fn on a fresh SQLite file and a fresh PostgreSQL database.
func eachDB(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, &sqldb.DB{DB: openDB(t), Dialect: sqldb.SQLite}) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPG(t, pgtest.NewDatabase(t))) })
}

func openPG(t *testing.T, url string) *sqldb.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &sqldb.DB{DB: db, Dialect: sqldb.Postgres}
}

func tables(t *testing.T, db *sqldb.DB) string {
	t.Helper()
	names, err := db.TableNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, ",")
}

func TestApplyIsIdempotentAndRecordsVersions(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if err := migrations.Apply(ctx, db, migrations.EventStore); err != nil {
				t.Fatalf("apply #%d: %v", i+1, err)
			}
		}
		var n int
		db.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE component = 'eventstore'`).Scan(&n)
		list, _ := migrations.EventStore.List()
		if db.Dialect == sqldb.Postgres {
			list, _ = migrations.EventStore.ListPG()
		}
		if n != len(list) {
			t.Fatalf("recorded %d migrations, want %d", n, len(list))
		}
	})
}

func TestFailedMigrationLeavesDatabaseAsItWas(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		good := component(map[string]string{"0001_a.sql": `CREATE TABLE a (x INTEGER);`})
		if err := migrations.Apply(ctx, db, good); err != nil {
			t.Fatal(err)
		}
		before := tables(t, db)
		bad := component(map[string]string{
			"0001_a.sql": `CREATE TABLE a (x INTEGER);`,
			"0002_b.sql": `CREATE TABLE b (y INTEGER);`,
			"0003_c.sql": `CREATE TABLE c (z INTEGER); THIS IS NOT SQL;`,
		})
		err := migrations.Apply(ctx, db, bad)
		if err == nil || !strings.Contains(err.Error(), "0003_c") {
			t.Fatalf("got %v, want an error naming migration 0003_c", err)
		}
		if after := tables(t, db); after != before {
			t.Fatalf("tables after failed migration: %s, want unchanged %s", after, before)
		}
	})
}

func TestDatabaseNewerThanBinaryIsRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		newer := component(map[string]string{"0001_a.sql": `CREATE TABLE a (x INTEGER);`, "0002_b.sql": `CREATE TABLE b (x INTEGER);`})
		if err := migrations.Apply(ctx, db, newer); err != nil {
			t.Fatal(err)
		}
		older := component(map[string]string{"0001_a.sql": `CREATE TABLE a (x INTEGER);`})
		err := migrations.Apply(ctx, db, older)
		if !errors.Is(err, migrations.ErrDatabaseNewer) || !strings.Contains(err.Error(), "version 2") || !strings.Contains(err.Error(), "up to 1") {
			t.Fatalf("got %v, want ErrDatabaseNewer saying version 2 vs up to 1", err)
		}
	})
}

// Replicas starting together on a fresh PostgreSQL database, each with a
// pool of its own, apply every migration once: one takes the migration
// lock, the others wait for it and find the schema current.
func TestReplicasStartingTogetherApplyEachMigrationOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	c := component(map[string]string{
		"0001_a.sql": `CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);`,
		"0002_b.sql": `INSERT INTO a VALUES (2);`,
	})
	const replicas = 8
	start := make(chan struct{})
	errs := make(chan error, replicas)
	for range replicas {
		db := openPG(t, url)
		go func() {
			<-start
			errs <- migrations.Apply(context.Background(), db, migrations.EventStore, c)
		}()
	}
	close(start)
	for range replicas {
		if err := <-errs; err != nil {
			t.Fatalf("a replica failed to migrate: %v", err)
		}
	}
	db := openPG(t, url)
	var rows, recorded int
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM a), (SELECT COUNT(*) FROM schema_migrations WHERE component = 'test')`).Scan(&rows, &recorded); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || recorded != 2 {
		t.Fatalf("after %d replicas migrated at once: %d rows in a, %d migrations recorded; want 2 and 2", replicas, rows, recorded)
	}
}

func TestMisnumberedMigrationsAreRejected(t *testing.T) {
	gap := component(map[string]string{"0001_a.sql": `SELECT 1;`, "0003_c.sql": `SELECT 1;`})
	if _, err := gap.List(); err == nil {
		t.Fatal("a gap in migration numbers was accepted")
	}
}
