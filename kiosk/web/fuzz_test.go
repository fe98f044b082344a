package web

import (
	"net/url"
	"strings"
	"testing"

	"conference/shared/registrations"
)

// FuzzSafeNext: whatever the post-unlock target says, the kiosk only ever
// redirects to a path on itself.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/sale", "//evil.example", "/\\evil.example", "https://evil.example", "/attendees/x/0?q=1", "", "/\r\nSet-Cookie: x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got == "" {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") ||
			strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
	})
}

// FuzzSaleRequest: the sale form, whatever it holds, is either refused
// with a message or becomes a request the core can judge.
func FuzzSaleRequest(f *testing.F) {
	d := startDesk(f, Options{})
	s, err := newSite(d.k, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("seat="+reception.String()+"&name=Ivo&payment=cash&print=on", "Rita")
	f.Add("seat="+workshop.String()+"&seat="+workshop.String()+"&name=%C3%82ngela&email=a%40b.c&payment=card_present", "Rita")
	f.Add("seat=nope&name=&payment=bitcoin", "")
	f.Add("seat="+fullPass.String()+"&name=%00&payment=cash&payment_ref="+strings.Repeat("x", 300), "Rita")
	f.Fuzz(func(t *testing.T, body, staff string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		req, problems := s.saleRequest(form, staff)
		if len(problems) > 0 {
			return
		}
		if len(req.Seats) == 0 || req.Name == "" || (req.Payment != registrations.PaymentCash && req.Payment != registrations.PaymentCardPresent) {
			t.Fatalf("form %q accepted as %+v", body, req)
		}
		for _, q := range req.Seats {
			if q.Quantity != 1 {
				t.Fatalf("form %q asks %d seats of one type", body, q.Quantity)
			}
		}
	})
}
