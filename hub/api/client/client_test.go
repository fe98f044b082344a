package client_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"conference/hub/api"
	"conference/hub/api/client"
	"conference/hub/hubapp"
	"conference/hub/hubapp/hubtest"
	"conference/hub/server"
	"conference/hub/web"
	"conference/shared/webui/webuitest"
)

// A program written against the published document: the generated client
// drives a real hub (SQLite file or PostgreSQL, real HTTP on loopback),
// with an API token an organizer made on the web UI after signing up.

type testHub struct {
	h   *hubapp.Hub
	url string
}

func startHub(t *testing.T) testHub {
	t.Helper()
	h := hubtest.Open(t)
	e, err := server.New(h,
		func(e *echo.Echo) error { return web.Register(e, h, web.Options{}) },
		func(e *echo.Echo) error { return api.Register(e, h, api.Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return testHub{h: h, url: srv.URL}
}

// newClient is the generated client for the hub's API, sending the
// organizer's token when one is given.
func (th testHub) newClient(t *testing.T, token string) *client.ClientWithResponses {
	t.Helper()
	var opts []client.ClientOption
	if token != "" {
		opts = append(opts, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := client.NewClientWithResponses(th.url+api.Prefix, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// accessCode sends an order's access code (the accessCode security scheme).
func accessCode(code string) client.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Access-Code", code)
		return nil
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantStatus(t *testing.T, what string, got, want int, body []byte) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d: %s", what, got, want, body)
	}
}

var tokenOnPage = regexp.MustCompile(`<pre class="code" id="api-token">([^<]+)</pre>`)

// signUpWithToken signs an organizer up on the web UI and creates an API
// token on its tokens page, as a person would; it returns the browser and
// the token.
func (th testHub) signUpWithToken(t *testing.T) (*webuitest.Browser, string) {
	t.Helper()
	b := webuitest.NewBrowser(t, th.url, "hub_csrf", "/")
	b.Post("/org/signup", url.Values{"display_name": {"Client Org"}, "email": {"client-org@example.com"},
		"password": {"correct horse battery"}, "password_again": {"correct horse battery"}}).WantRedirect(t, "/org")
	p := b.Post("/org/tokens", url.Values{"name": {"Generated client"}}).Want(t, http.StatusCreated)
	m := tokenOnPage.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no token on the tokens page: %s", webuitest.Excerpt(p.Body))
	}
	return b, html.UnescapeString(m[1])
}

// register is the registrant's whole way through the client: place an
// order for seats, wait for the reservation, name the registrant, pay at
// the processor and see the order confirmed. It returns the order.
func register(t *testing.T, c *client.ClientWithResponses, slug string, seats []client.SeatQuantity, promo *string) client.Order {
	t.Helper()
	ctx := context.Background()
	placed, err := c.PlaceOrderWithResponse(ctx, slug, client.PlaceOrder{Seats: seats, PromoCode: promo})
	noErr(t, "place order", err)
	wantStatus(t, "place order", placed.StatusCode(), http.StatusCreated, placed.Body)
	id, code := placed.JSON201.OrderId, placed.JSON201.AccessCode
	if o := waitWhile(t, c, id, code, client.OrderStatusPending); o.Status != client.OrderStatusReserved || o.ExpiresAt == nil {
		t.Fatalf("after placing: %+v, want reserved with an expiry", o)
	}
	named, err := c.SetRegistrantWithResponse(ctx, id, client.Registrant{Name: "Grace Hopper", Email: "grace@example.com"}, accessCode(code))
	noErr(t, "set registrant", err)
	wantStatus(t, "set registrant", named.StatusCode(), http.StatusOK, named.Body)
	return payFor(t, c, id, code, "grace@example.com")
}

// waitWhile long-polls the order until it leaves status.
func waitWhile(t *testing.T, c *client.ClientWithResponses, id uuid.UUID, code string, status client.OrderStatus) client.Order {
	t.Helper()
	wait := float32(10)
	res, err := c.GetOrderWithResponse(context.Background(), id, &client.GetOrderParams{WaitWhile: &status, Wait: &wait}, accessCode(code))
	noErr(t, "get order", err)
	wantStatus(t, "get order", res.StatusCode(), http.StatusOK, res.Body)
	return *res.JSON200
}

// payFor pays a reserved order whose registrant (email) is named at the
// processor, and waits until it is confirmed.
func payFor(t *testing.T, c *client.ClientWithResponses, id uuid.UUID, code, email string) client.Order {
	t.Helper()
	ctx := context.Background()
	pay, err := c.StartPaymentWithResponse(ctx, id, accessCode(code))
	noErr(t, "start payment", err)
	wantStatus(t, "start payment", pay.StatusCode(), http.StatusOK, pay.Body)
	paid, err := c.AcceptPaymentWithResponse(ctx, pay.JSON200.PaymentId)
	noErr(t, "accept payment", err)
	wantStatus(t, "accept payment", paid.StatusCode(), http.StatusOK, paid.Body)
	if paid.JSON200.Status != client.PaymentStatusAccepted || paid.JSON200.Amount != pay.JSON200.Amount {
		t.Fatalf("payment %+v, want %v accepted", paid.JSON200, pay.JSON200.Amount)
	}
	o := waitWhile(t, c, id, code, client.OrderStatusReserved)
	if o.Status != client.OrderStatusConfirmed || o.Registrant == nil || o.Registrant.Email != email {
		t.Fatalf("after paying: %+v, want confirmed for %s", o, email)
	}
	return o
}

func TestTheGeneratedClientTakesARegistrantFromOrderToConfirmation(t *testing.T) {
	th := startHub(t)
	f := hubtest.PublishedConference(t, th.h)
	c := th.newClient(t, "")
	ctx := context.Background()
	var conf *client.PublishedConference
	hubtest.Eventually(t, 10*time.Second, "conference on sale", func() error {
		res, err := c.GetPublishedConferenceWithResponse(ctx, f.Slug)
		if err != nil || res.JSON200 == nil || len(res.JSON200.SeatTypes) != 3 {
			return fmt.Errorf("conference: %v %s", err, res.Body)
		}
		conf = res.JSON200
		return nil
	})
	o := register(t, c, conf.Slug, []client.SeatQuantity{{SeatType: f.Paid, Quantity: 2}}, nil)
	if o.Total.Amount != 2*hubtest.PaidPrice || o.Total.Currency != hubtest.Currency {
		t.Fatalf("total %+v, want %d %s", o.Total, 2*hubtest.PaidPrice, hubtest.Currency)
	}
}

func TestTheGeneratedClientRunsAnOrganizersConferenceWithATokenFromTheWebUI(t *testing.T) {
	th := startHub(t)
	ctx := context.Background()
	browser, token := th.signUpWithToken(t)
	org := th.newClient(t, token)

	start := time.Now().UTC().Add(90 * 24 * time.Hour).Truncate(time.Hour)
	venue := "Porto"
	created, err := org.CreateConferenceWithResponse(ctx, client.ConferenceInput{
		Slug: "clientconf", Name: "Client Conf", TimeZone: "Europe/Lisbon", Currency: "EUR", StartsAt: start, EndsAt: start.Add(48 * time.Hour), Venue: &venue,
	})
	noErr(t, "create conference", err)
	wantStatus(t, "create conference", created.StatusCode(), http.StatusCreated, created.Body)
	conf := created.JSON201.Id
	addSeatType := func(name string, price int64, quota int) uuid.UUID {
		res, err := org.AddSeatTypeWithResponse(ctx, conf, client.SeatTypeInput{
			Name: name, Price: client.Money{Amount: price, Currency: "EUR"}, Quota: quota})
		noErr(t, "add seat type", err)
		wantStatus(t, "add seat type "+name, res.StatusCode(), http.StatusCreated, res.Body)
		return res.JSON201.Id
	}
	pass := addSeatType("Conference pass", 12000, 20)
	addSeatType("Workshop", 3000, 5)
	percent := 25
	promo, err := org.AddPromoCodeWithResponse(ctx, conf, client.PromoCodeInput{
		Code: "gophers", Kind: client.PromoCodeInputKindPercentage, Percent: &percent, SeatType: &pass})
	noErr(t, "add promo code", err)
	wantStatus(t, "add promo code", promo.StatusCode(), http.StatusCreated, promo.Body)
	published, err := org.PublishConferenceWithResponse(ctx, conf)
	noErr(t, "publish", err)
	wantStatus(t, "publish", published.StatusCode(), http.StatusOK, published.Body)
	if !published.JSON200.Published {
		t.Fatal("not published")
	}

	// A registrant buys two passes with the code.
	code := "GOPHERS"
	o := register(t, th.newClient(t, ""), "clientconf", []client.SeatQuantity{{SeatType: pass, Quantity: 2}}, &code)
	if o.Total.Amount != 2*12000*3/4 {
		t.Fatalf("total %+v, want two passes at 25%% off", o.Total)
	}

	// The organizer finds it in the list, with its code and registrant.
	status := client.OrderStatusConfirmed
	hubtest.Eventually(t, 10*time.Second, "order in the organizer's list", func() error {
		res, err := org.ListOrdersWithResponse(ctx, conf, &client.ListOrdersParams{Status: &status})
		if err != nil || res.JSON200 == nil {
			return fmt.Errorf("list orders: %v %s", err, res.Body)
		}
		if got := res.JSON200.Orders; len(got) != 1 || got[0].OrderId != o.OrderId || got[0].AccessCode == nil || got[0].Registrant == nil {
			return fmt.Errorf("orders %+v", got)
		}
		return nil
	})
	codes, err := org.ListPromoCodesWithResponse(ctx, conf)
	noErr(t, "list promo codes", err)
	wantStatus(t, "list promo codes", codes.StatusCode(), http.StatusOK, codes.Body)
	if len(codes.JSON200.PromoCodes) != 1 || codes.JSON200.PromoCodes[0].Code != "GOPHERS" {
		t.Fatalf("promo codes %+v", codes.JSON200.PromoCodes)
	}

	// Revoked on the tokens page, the token opens nothing.
	tokens, err := th.h.Conferences.ListAPITokens(ctx, created.JSON201.Id) // not an organizer id: nothing
	if err != nil || len(tokens) != 0 {
		t.Fatalf("tokens listed for a conference id: %v %v", tokens, err)
	}
	o2, err := th.h.Conferences.GetOrganizerByEmail(ctx, "client-org@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if tokens, err = th.h.Conferences.ListAPITokens(ctx, o2.ID); err != nil || len(tokens) != 1 || tokens[0].LastUsedAt.IsZero() {
		t.Fatalf("the organizer's tokens: %+v, %v: want one, used", tokens, err)
	}
	browser.Post("/org/tokens/"+tokens[0].ID.String()+"/revoke", nil).WantRedirect(t, "/org/tokens")
	refused, err := org.ListConferencesWithResponse(ctx)
	noErr(t, "list conferences", err)
	if refused.StatusCode() != http.StatusUnauthorized || refused.JSON401 == nil || refused.JSON401.Error.Code != api.CodeUnauthorized {
		t.Fatalf("with a revoked token: %d %s", refused.StatusCode(), refused.Body)
	}
}

// A registrant waits through the client for the sold-out workshop, and
// takes the seats an organizer's cancellation brings back.
func TestTheGeneratedClientJoinsTheWaitlistAndTakesTheOffer(t *testing.T) {
	th := startHub(t)
	f := hubtest.PublishedConference(t, th.h)
	ctx := context.Background()
	reg, org := th.newClient(t, ""), th.newClient(t, f.Token)
	sold := register(t, reg, f.Slug, []client.SeatQuantity{{SeatType: f.Workshop, Quantity: hubtest.WorkshopQuota}}, nil)

	joined, err := reg.JoinWaitlistWithResponse(ctx, f.Slug, client.JoinWaitlist{SeatType: f.Workshop, Quantity: 3, Name: "Ada Lovelace", Email: "ada@example.com"})
	noErr(t, "join waitlist", err)
	wantStatus(t, "join waitlist", joined.StatusCode(), http.StatusCreated, joined.Body)
	cancelled, err := org.CancelConferenceOrderWithResponse(ctx, f.ConferenceID, sold.OrderId, client.CancelConferenceOrderJSONRequestBody{})
	noErr(t, "cancel order", err)
	wantStatus(t, "cancel order", cancelled.StatusCode(), http.StatusOK, cancelled.Body)

	// The entry id is the link the offer mail carries; the organizer's list has it too.
	var entry uuid.UUID
	hubtest.Eventually(t, 10*time.Second, "the offer made", func() error {
		res, err := org.ListWaitlistWithResponse(ctx, f.ConferenceID)
		if err != nil || res.JSON200 == nil || len(res.JSON200.Entries) != 1 || res.JSON200.Entries[0].OfferState != client.OfferStateOpen {
			return fmt.Errorf("waitlist: %v %s", err, res.Body)
		}
		entry = res.JSON200.Entries[0].Id
		return nil
	})
	offer, err := reg.GetWaitlistOfferWithResponse(ctx, f.Slug, entry)
	noErr(t, "get offer", err)
	wantStatus(t, "get offer", offer.StatusCode(), http.StatusOK, offer.Body)
	if o := offer.JSON200; o.State != client.OfferStateOpen || o.Quantity != 3 || o.SeatTypeName != "Workshop" {
		t.Fatalf("offer %+v", o)
	}
	taken, err := reg.TakeWaitlistOfferWithResponse(ctx, f.Slug, entry)
	noErr(t, "take offer", err)
	wantStatus(t, "take offer", taken.StatusCode(), http.StatusCreated, taken.Body)
	if o := waitWhile(t, reg, taken.JSON201.OrderId, taken.JSON201.AccessCode, client.OrderStatusPending); o.Status != client.OrderStatusReserved {
		t.Fatalf("the taken offer's order: %+v", o)
	}
	o := payFor(t, reg, taken.JSON201.OrderId, taken.JSON201.AccessCode, "ada@example.com")
	if o.Total.Amount != 3*hubtest.WorkshopPrice || o.Registrant.Name != "Ada Lovelace" {
		t.Fatalf("order %+v, want Ada's 3 workshop seats", o)
	}
}
