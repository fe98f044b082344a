package web

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"conference/hub/conferences"
)

var tokenOnPage = regexp.MustCompile(`<pre class="code" id="api-token">([^<]+)</pre>`)

// createToken makes a token through the tokens page and returns its
// secret as the page shows it.
func (b *browser) createToken(name string) string {
	b.T.Helper()
	p := b.Post("/org/tokens", url.Values{"name": {name}}).Want(b.T, http.StatusCreated, "shown only this once")
	if p.Header.Get("Cache-Control") != "no-store" {
		b.T.Fatalf("the page with a token is cacheable: Cache-Control %q", p.Header.Get("Cache-Control"))
	}
	m := tokenOnPage.FindStringSubmatch(p.Body)
	if m == nil {
		b.T.Fatalf("no token on the page: %s", p.Body)
	}
	return html.UnescapeString(m[1])
}

func TestAnOrganizerCreatesATokenSeenOnceThatActsForThemUntilRevoked(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	b := th.browser()
	b.signUp("Token Org", "tokens@example.com")
	b.Get("/org/tokens").Want(t, http.StatusOK, "No tokens yet", `href="/api/v1/docs"`)

	b.Post("/org/tokens", url.Values{"name": {"  "}}).Want(t, http.StatusUnprocessableEntity, `id="f-name-error"`)
	secret := b.createToken("Door scanner sync")
	org, err := th.hub.Conferences.Authenticate(ctx, secret)
	if err != nil || org.Email != "tokens@example.com" {
		t.Fatalf("the token authenticates %+v, %v: want the signed-up organizer", org, err)
	}

	// Listed by name, used just now, and never shown again.
	list := b.Get("/org/tokens").Want(t, http.StatusOK, "Door scanner sync", "active").Lacks(t, secret, "never")
	tokens, err := th.hub.Conferences.ListAPITokens(ctx, org.ID)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens %+v, %v", tokens, err)
	}
	id := tokens[0].ID.String()
	if !regexp.MustCompile(`data-token="` + id + `"`).MatchString(list.Body) {
		t.Fatalf("the list does not show token %s", id)
	}

	// Another organizer cannot revoke it.
	other := th.browser()
	other.signUp("Other Org", "other-tokens@example.com")
	other.Post("/org/tokens/"+id+"/revoke", nil).Want(t, http.StatusNotFound)
	other.Get("/org/tokens").Lacks(t, "Door scanner sync")
	if _, err := th.hub.Conferences.Authenticate(ctx, secret); err != nil {
		t.Fatalf("after another organizer's attempt: %v", err)
	}

	b.Post("/org/tokens/"+id+"/revoke", nil).WantRedirect(t, "/org/tokens")
	b.Get("/org/tokens").Want(t, http.StatusOK, "Token “Door scanner sync” revoked", "revoked")
	if _, err := th.hub.Conferences.Authenticate(ctx, secret); !errors.Is(err, conferences.ErrUnauthorized) {
		t.Fatalf("a revoked token authenticates: %v", err)
	}
}
