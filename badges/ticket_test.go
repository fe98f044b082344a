package badges_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"conference/badges"
	"conference/badges/badgestest"
	"conference/badges/internal/sample"
	"conference/badges/token"
)

func renderTickets(t *testing.T, list []badges.Ticket) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := badges.RenderTickets(context.Background(), &buf, list); err != nil {
		t.Fatalf("RenderTickets: %v", err)
	}
	return buf.Bytes()
}

// TestTicketsPrintEveryScriptAndScanToTokensThatVerify renders a ticket
// for every sample name (Latin, Greek, Cyrillic, Hebrew, Arabic, CJK ...)
// and reads each page back: the name as text, and a QR code that a
// scanner reads at phone-screen resolution and that verifies with the
// hub's key, naming the seat it was signed for.
func TestTicketsPrintEveryScriptAndScanToTokensThatVerify(t *testing.T) {
	signer, verifier := keys(t)
	var list []badges.Ticket
	for i, name := range sample.Names {
		tok, err := signer.Sign(token.Claims{Conference: "gophercon-eu-2026", Seat: sample.Seat(i), IssuedAt: time.Date(2026, 9, 14, 8, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, badges.Ticket{Conference: "GopherCon EU 2026", Details: "14–16 September 2026 · Lisbon",
			Name: name, SeatTypes: []string{"Conference pass", "Workshop"}, AccessCode: "K7QM-3XTR", Token: tok})
	}
	pdf := renderTickets(t, list)

	text := badgestest.Text(t, pdf)
	lines := strings.Split(text, "\n")
	for _, tk := range list {
		if !slices.Contains(lines, tk.Name) {
			t.Errorf("pdftotext has no line %q", tk.Name)
		}
	}
	for _, want := range []string{"GopherCon EU 2026", "Conference pass · Workshop", "Access code K7QM-3XTR", "one scan checks you in"} {
		if !strings.Contains(text, want) {
			t.Errorf("ticket text lacks %q:\n%s", want, text)
		}
	}
	codes := badgestest.QRCodes(t, pdf)
	if len(codes) != len(list) {
		t.Fatalf("scanned %d QR codes from %d tickets", len(codes), len(list))
	}
	for i, code := range codes {
		claims, err := verifier.Verify(code)
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		if claims.Seat != sample.Seat(i) {
			t.Fatalf("page %d names seat %q, want %q", i+1, claims.Seat, sample.Seat(i))
		}
	}
}

func TestTicketsRefuseBadInputAndWriteNothing(t *testing.T) {
	ok := badges.Ticket{Name: "Ana Silva", Token: "6BFOXN*TS0BI$ZD.V9"}
	cases := map[string]struct {
		list []badges.Ticket
		want error
	}{
		"no tickets":       {nil, badges.ErrNoTickets},
		"no token":         {[]badges.Ticket{ok, {Name: "Bo Chen"}}, badges.ErrNoToken},
		"no name":          {[]badges.Ticket{{Token: ok.Token}}, badges.ErrEmptyName},
		"a script no font": {[]badges.Ticket{{Name: "བཀྲ་ཤིས", Token: ok.Token}}, badges.ErrUnsupportedCharacter},
		"details too long": {[]badges.Ticket{{Name: "Ana", Details: strings.Repeat("x", badges.MaxTextLen+1), Token: ok.Token}}, badges.ErrTooLong},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := badges.RenderTickets(context.Background(), &buf, c.list)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes for refused input", buf.Len())
			}
		})
	}
}
