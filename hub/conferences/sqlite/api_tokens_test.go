package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"conference/hub/conferences"
	"conference/hub/conferences/sqlite"
	"conference/migrations"
	"conference/shared/eventstore/backendtest"
	"conference/shared/ids"
	"conference/shared/sqldb"
	"conference/shared/webui/webuitest"
)

func newClock() *webuitest.Clock {
	return webuitest.NewClock(time.Date(2027, 5, 10, 9, 0, 0, 0, time.UTC))
}

// countTokenWrites installs a trigger counting the updates of api_tokens
// rows, so a test can tell a write that stored the same value from none.
func countTokenWrites(tb testing.TB, db *sqldb.DB) func() int {
	tb.Helper()
	stmts := []string{`CREATE TABLE token_writes (n INTEGER NOT NULL)`, `INSERT INTO token_writes VALUES (0)`}
	if db.Dialect == sqldb.Postgres {
		stmts = append(stmts, `CREATE FUNCTION count_token_write() RETURNS trigger AS $$
			BEGIN UPDATE token_writes SET n = n + 1; RETURN NEW; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER token_written AFTER UPDATE ON api_tokens FOR EACH ROW EXECUTE FUNCTION count_token_write()`)
	} else {
		stmts = append(stmts, `CREATE TRIGGER token_written AFTER UPDATE ON api_tokens BEGIN UPDATE token_writes SET n = n + 1; END`)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			tb.Fatalf("count token writes: %v", err)
		}
	}
	return func() int {
		var n int
		if err := db.QueryRow(`SELECT n FROM token_writes`).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		return n
	}
}

func TestANamedTokenIsListedWithoutItsSecretAndAuthenticatesItsOrganizer(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	clk := newClock()
	f.svc.Now = clk.Now
	ann := f.organizer(t, "ann@example.com")

	tok, secret, err := f.svc.CreateAPIToken(ctx, ann.ID, "  CI deploys  ")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "CI deploys" || !tok.LastUsedAt.IsZero() || tok.Revoked() || !conferences.WellFormedAPIToken(secret) {
		t.Fatalf("created %+v, want a named, unused, valid token", tok)
	}
	clk.Add(time.Second)
	if _, _, err := f.svc.CreateAPIToken(ctx, ann.ID, "Badge printer"); err != nil {
		t.Fatal(err)
	}
	org, err := f.svc.Authenticate(ctx, secret)
	if err != nil || org.ID != ann.ID {
		t.Fatalf("authenticate: %+v, %v", org, err)
	}
	list, err := f.svc.ListAPITokens(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "Badge printer" || list[1].Name != "CI deploys" {
		t.Fatalf("listed %+v, want both tokens, newest first", list)
	}
	if got := list[1].LastUsedAt; !got.Equal(clk.Now()) {
		t.Fatalf("last used %v, want %v", got, clk.Now())
	}
	if !list[0].LastUsedAt.IsZero() {
		t.Fatalf("the unused token shows last used %v", list[0].LastUsedAt)
	}
	if others, err := f.svc.ListAPITokens(ctx, f.organizer(t, "bob@example.com").ID); err != nil || len(others) != 0 {
		t.Fatalf("another organizer lists %+v, %v: want none", others, err)
	}
}

func TestATokenNameIsRequiredAndBounded(t *testing.T) {
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	for _, name := range []string{"", "   ", string(make([]rune, conferences.MaxAPITokenName+1))} {
		_, _, err := f.svc.CreateAPIToken(context.Background(), ann.ID, name)
		wantField(t, err, "name")
	}
	if n := f.count(t, "api_tokens"); n != 0 {
		t.Fatalf("%d tokens stored after refusals", n)
	}
	_, _, err := f.svc.CreateAPIToken(context.Background(), ids.New(), "Orphan")
	wantErr(t, err, conferences.ErrNotFound)
}

func TestTheLastUsedTimeIsWrittenAtMostOnceAMinute(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	clk := newClock()
	f.svc.Now = clk.Now
	ann := f.organizer(t, "ann@example.com")
	_, secret, err := f.svc.CreateAPIToken(ctx, ann.ID, "Busy client")
	if err != nil {
		t.Fatal(err)
	}
	writes := countTokenWrites(t, f.store.DB())
	first := clk.Now()
	for range 200 {
		if _, err := f.svc.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		clk.Add(250 * time.Millisecond) // 200 requests over 50 s
	}
	if n := writes(); n != 1 {
		t.Fatalf("200 requests within a minute wrote the token %d times, want once", n)
	}
	lastUsed := func() time.Time {
		list, err := f.svc.ListAPITokens(ctx, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		return list[0].LastUsedAt
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("last used %v, want the first request's %v", got, first)
	}
	clk.Add(conferences.LastUsedResolution)
	if _, err := f.svc.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(clk.Now()) || writes() != 2 {
		t.Fatalf("a minute later: last used %v after %d writes, want %v after 2", got, writes(), clk.Now())
	}
}

func TestARevokedTokenAuthenticatesNothingAndOnlyItsOwnerRevokesIt(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	clk := newClock()
	f.svc.Now = clk.Now
	ann, bob := f.organizer(t, "ann@example.com"), f.organizer(t, "bob@example.com")
	tok, secret, err := f.svc.CreateAPIToken(ctx, ann.ID, "Laptop")
	if err != nil {
		t.Fatal(err)
	}
	_, kept, err := f.svc.CreateAPIToken(ctx, ann.ID, "Server")
	if err != nil {
		t.Fatal(err)
	}

	_, err = f.svc.RevokeAPIToken(ctx, bob.ID, tok.ID)
	wantErr(t, err, conferences.ErrNotFound)
	if _, err := f.svc.Authenticate(ctx, secret); err != nil {
		t.Fatalf("after another organizer's attempt: %v, want the token still valid", err)
	}

	revoked, err := f.svc.RevokeAPIToken(ctx, ann.ID, tok.ID)
	if err != nil || !revoked.RevokedAt.Equal(clk.Now()) {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	_, err = f.svc.Authenticate(ctx, secret)
	wantErr(t, err, conferences.ErrUnauthorized)
	if _, err := f.svc.Authenticate(ctx, kept); err != nil {
		t.Fatalf("the other token: %v, want it valid", err)
	}
	clk.Add(time.Hour)
	again, err := f.svc.RevokeAPIToken(ctx, ann.ID, tok.ID)
	if err != nil || !again.RevokedAt.Equal(revoked.RevokedAt) {
		t.Fatalf("revoking again: %+v, %v, want the first revocation kept", again, err)
	}
}

// Two replicas serving one busy token at once write its last-used time
// once between them.
func TestReplicasUsingATokenAtOnceWriteItsLastUseOnce(t *testing.T) {
	ctx := context.Background()
	stores := backendtest.Replicas(t, 2, backendtest.Options{Components: []migrations.Component{migrations.Hub}})
	clk := newClock()
	a, b := sqlite.New(stores[0]), sqlite.New(stores[1])
	a.Now, b.Now = clk.Now, clk.Now
	ann, err := a.CreateOrganizer(ctx, conferences.NewOrganizer{Email: "ann@example.com", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := a.CreateAPIToken(ctx, ann.ID, "Shared")
	if err != nil {
		t.Fatal(err)
	}
	writes := countTokenWrites(t, stores[0].DB())
	var wg sync.WaitGroup
	for _, svc := range []*sqlite.Service{a, b, a, b} {
		wg.Go(func() {
			for range 20 {
				if _, err := svc.Authenticate(ctx, secret); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := writes(); n != 1 {
		t.Fatalf("the token was written %d times, want once", n)
	}
}
