package sqlite_test

import (
	"context"
	"testing"

	"conference/hub/conferences"
	"conference/shared/ids"
)

func TestAnIssuedTokenAuthenticatesItsOrganizer(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	f.organizer(t, "bob@example.com")

	token, err := f.svc.IssueAPIToken(ctx, ann.ID)
	if err != nil {
		t.Fatalf("issue token: %v", err)
	}
	got, err := f.svc.Authenticate(ctx, token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	if got.ID != ann.ID || got.Email != "ann@example.com" {
		t.Fatalf("got %+v, want ann", got)
	}
}

func TestTheTokenItselfIsNeverStored(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	token, err := f.svc.IssueAPIToken(ctx, ann.ID)
	if err != nil {
		t.Fatalf("issue token: %v", err)
	}
	var stored []byte
	if err := f.store.DB().QueryRow(`SELECT token_hash FROM api_tokens`).Scan(&stored); err != nil {
		t.Fatalf("read token: %v", err)
	}
	if string(stored) != string(conferences.HashAPIToken(token)) {
		t.Fatal("got something other than the token's hash stored, want only the hash")
	}
}

func TestAWrongTokenIsUnauthorized(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	ann := f.organizer(t, "ann@example.com")
	if _, err := f.svc.IssueAPIToken(ctx, ann.ID); err != nil {
		t.Fatalf("issue token: %v", err)
	}
	other, _ := conferences.NewAPIToken()

	for _, token := range []string{other, "", "not-a-token"} {
		_, err := f.svc.Authenticate(ctx, token)
		wantErr(t, err, conferences.ErrUnauthorized)
	}
}

func TestTokensAreIssuedOnlyToExistingOrganizers(t *testing.T) {
	f := mustOpen(t)
	_, err := f.svc.IssueAPIToken(context.Background(), ids.New())
	wantErr(t, err, conferences.ErrNotFound)
}

func TestOrganizerEmailIsUniqueWhateverItsCase(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	f.organizer(t, "ann@example.com")

	_, err := f.svc.CreateOrganizer(ctx, conferences.NewOrganizer{Email: " Ann@Example.com ", DisplayName: "Ann again"})
	wantErr(t, err, conferences.ErrConflict)
	_, err = f.svc.CreateOrganizer(ctx, conferences.NewOrganizer{Email: "nobody", DisplayName: "Nobody"})
	wantField(t, err, "email")
	if got := f.count(t, "organizers"); got != 1 {
		t.Fatalf("got %d organizers, want 1", got)
	}
}

func TestConferencesNeedAnExistingOrganizer(t *testing.T) {
	f := mustOpen(t)
	_, err := f.svc.CreateConference(context.Background(), ids.New(), details("orphan-conf"))
	wantErr(t, err, conferences.ErrNotFound)
	if got := len(f.messages(t)); got != 0 {
		t.Fatalf("got %d messages, want none", got)
	}
}

func TestOrganizerIsFoundByEmailInAnyCase(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	if n, err := f.svc.CountOrganizers(ctx); err != nil || n != 0 {
		t.Fatalf("got %d, %v, want 0 organizers", n, err)
	}
	ann := f.organizer(t, "ann@example.com")
	got, err := f.svc.GetOrganizerByEmail(ctx, " ANN@example.com ")
	if err != nil || got.ID != ann.ID {
		t.Fatalf("got %v, %v, want ann", got, err)
	}
	_, err = f.svc.GetOrganizerByEmail(ctx, "bob@example.com")
	wantErr(t, err, conferences.ErrNotFound)
	if n, err := f.svc.CountOrganizers(ctx); err != nil || n != 1 {
		t.Fatalf("got %d, %v, want 1 organizer", n, err)
	}
}
