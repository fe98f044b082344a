package accounts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"conference/hub/conferences"
	confsqlite "conference/hub/conferences/sqlite"
	"conference/hub/hubapp/hubtest"
	"conference/hub/web/accounts"
	"conference/migrations"
	"conference/shared/eventstore/backendtest"
	"conference/shared/sqldb"
)

// fixture opens n replicas of one database (on SQLite, one store n times)
// with an organizer, and an Accounts on each.
func fixture(t *testing.T, n int) ([]*accounts.Accounts, conferences.Organizer, *hubtest.Clock) {
	t.Helper()
	stores := backendtest.Replicas(t, n, backendtest.Options{Components: []migrations.Component{migrations.Hub, migrations.Web}})
	org, err := confsqlite.New(stores[0]).CreateOrganizer(context.Background(), conferences.NewOrganizer{Email: "Olga@Example.com", DisplayName: "Olga Organizer"})
	if err != nil {
		t.Fatal(err)
	}
	c := hubtest.NewClock()
	var out []*accounts.Accounts
	for _, s := range stores {
		a := accounts.Open(s.DB())
		a.Now, a.Cost = c.Now, bcrypt.MinCost
		out = append(out, a)
	}
	if err := out[0].SetPassword(context.Background(), org.ID, "the old password"); err != nil {
		t.Fatal(err)
	}
	return out, *org, c
}

// request asks for a reset and returns what the mail request saw.
func request(t *testing.T, a *accounts.Accounts, email string) (accounts.Reset, error) {
	t.Helper()
	var asked accounts.Reset
	r, err := a.RequestReset(context.Background(), email, func(_ context.Context, _ sqldb.Tx, r accounts.Reset) error {
		asked = r
		return nil
	})
	if err == nil && asked.ID != r.ID {
		t.Fatalf("the mail was asked for reset %s, the caller got %s", asked.ID, r.ID)
	}
	return r, err
}

func TestAResetLinkSetsANewPasswordOnceAndOnlyTheNewestLinkWorks(t *testing.T) {
	ctx := context.Background()
	acc, org, _ := fixture(t, 1)
	a := acc[0]
	r, err := request(t, a, " olga@example.COM ")
	if err != nil {
		t.Fatal(err)
	}
	if r.OrganizerID != org.ID || r.Name != "Olga Organizer" {
		t.Fatalf("reset %+v", r)
	}
	first, _, err := a.IssueResetToken(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The mail went out again (a retry): a new link, and the first stops.
	second, got, err := a.IssueResetToken(ctx, r.ID)
	if err != nil || got.Email != org.Email {
		t.Fatalf("second token: %+v, %v", got, err)
	}
	if _, err := a.CheckReset(ctx, first); !errors.Is(err, accounts.ErrResetInvalid) {
		t.Fatalf("the replaced link checks as %v, want ErrResetInvalid", err)
	}
	if _, err := a.CheckReset(ctx, second); err != nil {
		t.Fatalf("the newest link: %v", err)
	}
	// A weak password changes nothing and leaves the link usable.
	if _, err := a.ResetPassword(ctx, second, "short"); !errors.Is(err, accounts.ErrWeakPassword) {
		t.Fatalf("weak password: %v", err)
	}
	if id, err := a.ResetPassword(ctx, second, "a brand new password"); err != nil || id != org.ID {
		t.Fatalf("reset: %v, %v", id, err)
	}
	if _, err := a.Verify(ctx, org.Email, "a brand new password"); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if _, err := a.Verify(ctx, org.Email, "the old password"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("the old password still works: %v", err)
	}
	if _, err := a.ResetPassword(ctx, second, "yet another password"); !errors.Is(err, accounts.ErrResetInvalid) {
		t.Fatalf("a used link: %v, want ErrResetInvalid", err)
	}
	if _, _, err := a.IssueResetToken(ctx, r.ID); !errors.Is(err, accounts.ErrResetInvalid) {
		t.Fatalf("a token for a used reset: %v, want ErrResetInvalid", err)
	}
}

func TestResetLinksExpireAndUnknownEmailsAndFloodsSendNothing(t *testing.T) {
	ctx := context.Background()
	acc, org, c := fixture(t, 1)
	a := acc[0]
	if _, err := request(t, a, "nobody@example.com"); !errors.Is(err, accounts.ErrNoAccount) {
		t.Fatalf("unknown email: %v", err)
	}
	r, err := request(t, a, org.Email)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := a.IssueResetToken(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(accounts.ResetTTL)
	if _, err := a.CheckReset(ctx, token); !errors.Is(err, accounts.ErrResetInvalid) {
		t.Fatalf("an expired link checks as %v", err)
	}
	if _, err := a.ResetPassword(ctx, token, "a brand new password"); !errors.Is(err, accounts.ErrResetInvalid) {
		t.Fatalf("an expired link reset the password: %v", err)
	}
	for _, bad := range []string{"", "not-base64!", "c2hvcnQ"} {
		if _, err := a.CheckReset(ctx, bad); !errors.Is(err, accounts.ErrResetInvalid) {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
	// Three more in the next hour (the expired one is older than that),
	// then the account is sent no more until the hour has passed.
	c.Advance(time.Minute)
	for i := 0; i < accounts.ResetsPerHour; i++ {
		if _, err := request(t, a, org.Email); err != nil {
			t.Fatalf("reset %d: %v", i+1, err)
		}
	}
	if _, err := request(t, a, org.Email); !errors.Is(err, accounts.ErrTooManyResets) {
		t.Fatalf("reset past the limit: %v", err)
	}
	c.Advance(time.Hour)
	if _, err := request(t, a, org.Email); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
}

// TestTwoReplicasGivenOneLinkSetOnePassword sends the same link to two
// replicas at once (two stores on one PostgreSQL database): one sets its
// password, the other is told the link is used.
func TestTwoReplicasGivenOneLinkSetOnePassword(t *testing.T) {
	ctx := context.Background()
	acc, org, _ := fixture(t, 2)
	r, err := request(t, acc[0], org.Email)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := acc[1].IssueResetToken(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	passwords := []string{"password of replica one", "password of replica two"}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range acc {
		wg.Go(func() { _, errs[i] = acc[i].ResetPassword(ctx, token, passwords[i]) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won < 0:
			won = i
		case err == nil:
			t.Fatal("both replicas set a password with one link")
		case !errors.Is(err, accounts.ErrResetInvalid):
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("neither replica set the password")
	}
	if _, err := acc[0].Verify(ctx, org.Email, passwords[won]); err != nil {
		t.Fatalf("the winner's password: %v", err)
	}
}
