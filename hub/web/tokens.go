package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/conferences"
)

// The organizer's API tokens: made here, shown once, listed by name with
// when each was last used, revoked here. Conference Management keeps only
// their hashes and scopes every token to the organizer who made it, so a
// token reaches that organizer's conferences and nothing else.

// tokensPage is the token list with the creation form, and the token just
// created (its secret, the only time it is ever shown).
type tokensPage struct {
	Tokens  []*conferences.APIToken
	Form    *form
	Created *conferences.APIToken
	Secret  string
	// APIURL is where the API answers on this hub, for the example.
	APIURL string
	// UTC is the zone times are shown in: tokens belong to no conference.
	UTC *time.Location
}

// tokenRoutes mounts the token pages with org's middleware.
func (s *site) tokenRoutes(org func(m, path string, h echo.HandlerFunc)) {
	org(http.MethodGet, "/org/tokens", s.tokenList)
	org(http.MethodPost, "/org/tokens", s.createToken)
	org(http.MethodPost, "/org/tokens/:tid/revoke", s.revokeToken)
}

func (s *site) tokenList(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, tokensPage{Form: newForm(nil)})
}

func (s *site) renderTokens(c echo.Context, status int, p tokensPage) error {
	list, err := s.hub.Conferences.ListAPITokens(c.Request().Context(), organizerOf(c).ID)
	if err != nil {
		return err
	}
	p.Tokens, p.UTC = list, time.UTC
	scheme := "http"
	if c.IsTLS() {
		scheme = "https"
	}
	p.APIURL = scheme + "://" + c.Request().Host + "/api/v1"
	// A page that may hold a secret is never kept by a browser or proxy.
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, status, "org_tokens", view{Title: "API tokens", Section: "tokens", Data: p})
}

func (s *site) createToken(c echo.Context) error {
	f := newForm(formValues(c))
	created, secret, err := s.hub.Conferences.CreateAPIToken(c.Request().Context(), organizerOf(c).ID, f.Get("name"))
	if err != nil {
		if failField(f, err) {
			return s.renderTokens(c, http.StatusUnprocessableEntity, tokensPage{Form: f})
		}
		return err
	}
	// Rendered rather than redirected to: the secret must not travel in a
	// URL or a cookie, and reloading the list never shows it again.
	return s.renderTokens(c, http.StatusCreated, tokensPage{Form: newForm(nil), Created: created, Secret: secret})
}

func (s *site) revokeToken(c echo.Context) error {
	id, err := uuid.Parse(c.Param("tid"))
	if err != nil {
		return s.notFound(c)
	}
	t, err := s.hub.Conferences.RevokeAPIToken(c.Request().Context(), organizerOf(c).ID, id)
	if errors.Is(err, conferences.ErrNotFound) {
		return s.notFound(c)
	}
	if err != nil {
		return err
	}
	s.flash.Set(c, fmt.Sprintf("Token “%s” revoked: requests carrying it are refused from now on.", t.Name))
	return redirect(c, "/org/tokens")
}
