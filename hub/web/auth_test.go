package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"conference/hub/conferences"
	"conference/hub/web/accounts"
)

func TestSignUpRefusesBadInputNextToTheFieldAndKeepsWhatWasTyped(t *testing.T) {
	th := startHub(t, Options{})
	b := th.browser()
	p := b.Post("/org/signup", url.Values{
		"display_name": {"Ada Events"}, "email": {"not-an-email"}, "password": {"short"}, "password_again": {"different"},
	})
	p.Want(t, http.StatusUnprocessableEntity,
		`value="Ada Events"`, `value="not-an-email"`,
		`id="f-password-error"`, "at least 10 characters",
		`id="f-password-again-error"`, "The two passwords differ",
		`id="f-email-error"`, "Email must be an address such as ana@example.com", `aria-invalid="true"`)
	if strings.Contains(p.Body, `value="short"`) {
		t.Fatal("the password was sent back into the form")
	}
	// An address without a dotted domain is refused like everywhere else,
	// together with the missing name.
	b.Post("/org/signup", url.Values{
		"display_name": {" "}, "email": {"ana@example"}, "password": {"0123456789ab"}, "password_again": {"0123456789ab"},
	}).Want(t, http.StatusUnprocessableEntity,
		`id="f-email-error"`, "Email must end in a domain name such as example.com after the @",
		`id="f-display-name-error"`, "Name is required")
	// Nothing was saved: the same email can sign up properly.
	b.signUp("Ada Events", "ada@example.com")
	// And a second account with that email is refused by the field.
	other := th.browser()
	other.Post("/org/signup", url.Values{
		"display_name": {"Impostor"}, "email": {"ADA@example.com"}, "password": {"0123456789ab"}, "password_again": {"0123456789ab"},
	}).Want(t, http.StatusUnprocessableEntity, `id="f-email-error"`, "exists already")
}

func TestSignInSignOutAndSessionCookie(t *testing.T) {
	th := startHub(t, Options{})
	b := th.browser()
	b.signUp("Grace Conf", "grace@example.com")
	b.Get("/org").Want(t, http.StatusOK, "Your conferences", "Grace Conf")

	b.Post("/org/signout", nil).WantRedirect(t, "/org/signin")
	b.Get("/org").WantRedirect(t, "/org/signin?next=%2Forg")

	b.Post("/org/signin", url.Values{"email": {"grace@example.com"}, "password": {"wrong password!"}}).
		Want(t, http.StatusUnauthorized, "The email or the password is wrong", `value="grace@example.com"`)
	p := b.Post("/org/signin", url.Values{"email": {" Grace@Example.com "}, "password": {"correct horse battery"}, "next": {"/org/conferences/new"}})
	p.WantRedirect(t, "/org/conferences/new")
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/", session)
	}
	// An open redirect through next is refused.
	b.Post("/org/signin", url.Values{"email": {"grace@example.com"}, "password": {"correct horse battery"}, "next": {"//evil.example/"}}).
		WantRedirect(t, "/org")
}

func TestSignInIsRateLimitedPerEmailAndPerAddress(t *testing.T) {
	th := startHub(t, Options{SignInRate: 3})
	b := th.browser()
	b.signUp("Rate", "rate@example.com")
	for i := range 3 {
		b.Post("/org/signin", url.Values{"email": {"rate@example.com"}, "password": {"guess number " + string(rune('a'+i))}}).
			Want(t, http.StatusUnauthorized)
	}
	// The right password no longer helps until the minute has passed.
	p := b.Post("/org/signin", url.Values{"email": {"rate@example.com"}, "password": {"correct horse battery"}})
	p.Want(t, http.StatusTooManyRequests, "Too many sign-in attempts")
	if p.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After header")
	}
	// Same address, another account: the address's bucket is empty too.
	b.Post("/org/signin", url.Values{"email": {"someone@example.com"}, "password": {"whatever123"}}).
		Want(t, http.StatusTooManyRequests)
}

func TestFormsWithoutTheCSRFTokenAreRefusedAndChangeNothing(t *testing.T) {
	th := startHub(t, Options{})
	b := th.browser()
	b.Get("/org/signup")
	b.PostRaw("/org/signup", url.Values{
		"display_name": {"Mallory"}, "email": {"mallory@example.com"}, "password": {"0123456789ab"}, "password_again": {"0123456789ab"},
		csrfField: {"forged"},
	}).Want(t, http.StatusForbidden, "did not come from this site")
	// A request from another origin is refused even with the right token.
	req, _ := http.NewRequest(http.MethodPost, th.srv.URL+"/org/signup", strings.NewReader(url.Values{
		"display_name": {"Mallory"}, "email": {"mallory@example.com"}, "password": {"0123456789ab"},
		"password_again": {"0123456789ab"}, csrfField: {b.CSRF()},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	b.Do(req).Want(t, http.StatusForbidden)
	if _, err := th.hub.Conferences.CreateOrganizer(context.Background(), conferences.NewOrganizer{
		Email: "mallory@example.com", DisplayName: "Mallory"}); err != nil {
		t.Fatalf("the refused sign-up created the account: %v", err)
	}
}

func TestSetPasswordLetsASeededOrganizerSignIn(t *testing.T) {
	th := startHub(t, Options{})
	ctx := context.Background()
	o, err := th.hub.Conferences.CreateOrganizer(ctx, conferences.NewOrganizer{Email: "demo@example.com", DisplayName: "Demo"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SetPassword(ctx, th.hub, o.ID, "short"); !errors.Is(err, accounts.ErrWeakPassword) {
		t.Fatalf("short password: got %v, want ErrWeakPassword", err)
	}
	if err := SetPassword(ctx, th.hub, o.ID, "demo-password"); err != nil {
		t.Fatal(err)
	}
	th.browser().Post("/org/signin", url.Values{"email": {"demo@example.com"}, "password": {"demo-password"}}).WantRedirect(t, "/org")
}
