package badges_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"conference/badges"
	"conference/badges/internal/sample"
)

var allLayouts = []string{badges.LayoutLabel4x3, badges.LayoutA4Sheet, badges.LayoutLetterSheet}

func TestEveryScriptReadsBackExactlyFromThePDF(t *testing.T) {
	signer, _ := keys(t)
	list := signedList(t, len(sample.Names), signer)
	for _, layout := range allLayouts {
		t.Run(layout, func(t *testing.T) {
			text := pdfText(t, render(t, badges.Style{Layout: layout}, list))
			lines := strings.Split(text, "\n")
			for _, b := range list {
				if !slices.Contains(lines, b.Name) {
					t.Errorf("pdftotext has no line %q; got:\n%s", b.Name, text)
				}
				if b.Company != "" && !slices.Contains(lines, b.Company) {
					t.Errorf("pdftotext has no line %q (company)", b.Company)
				}
			}
		})
	}
}

func TestDecomposedAccentsPrintAsPrecomposedLetters(t *testing.T) {
	// "Zoë" typed as e + COMBINING DIAERESIS, as some keyboards produce.
	text := pdfText(t, render(t, badges.Style{}, []badges.Badge{{Name: "Zoe\u0308 Ødegård"}}))
	if !strings.Contains(text, "Zoë Ødegård") {
		t.Errorf("pdftotext = %q, want the NFC name %q", text, "Zoë Ødegård")
	}
}

func TestLongNameShrinksRatherThanBeingCut(t *testing.T) {
	name := "Maximiliane Alexandra Friederike Charlotte von Hohenzollern-Sigmaringen"
	for _, layout := range allLayouts {
		text := pdfText(t, render(t, badges.Style{Layout: layout}, []badges.Badge{{Name: name, Company: "Acme"}}))
		if got := strings.Join(strings.Fields(text), " "); !strings.Contains(got, name) {
			t.Errorf("%s: printed text %q does not hold the whole name %q", layout, got, name)
		}
	}
}

func TestQRCodeScansToATokenThatVerifies(t *testing.T) {
	signer, verifier := keys(t)
	list := signedList(t, 8, signer)
	for _, layout := range allLayouts {
		t.Run(layout, func(t *testing.T) {
			n := 1
			if layout != badges.LayoutLabel4x3 {
				n = len(list)
			}
			path := writeTemp(t, "badges.pdf", render(t, badges.Style{Layout: layout}, list[:n]))
			// 150 dpi: a plain office printer, not a photo setter.
			scanned := scanPDF(t, path, 150, "qrcode")
			if len(scanned) != n {
				t.Fatalf("scanned %d QR codes, want %d", len(scanned), n)
			}
			want := map[string]bool{}
			for _, b := range list[:n] {
				want[b.Token] = true
			}
			for _, s := range scanned {
				if !want[s] {
					t.Errorf("scanned %q, which is no badge's token", s)
				}
				claims, err := verifier.Verify(s)
				if err != nil {
					t.Errorf("scanned token does not verify: %v", err)
				}
				if claims.Conference != "gophercon-eu-2026" {
					t.Errorf("conference = %q", claims.Conference)
				}
			}
		})
	}
}

func TestAccessCodeScansAsCode128(t *testing.T) {
	b := badges.Badge{Name: "Дмитрий Шостакович", AccessCode: "K7Q-2M9X"}
	path := writeTemp(t, "badge.pdf", render(t, badges.Style{}, []badges.Badge{b}))
	got := scanPDF(t, path, 300, "code128")
	if len(got) != 1 || got[0] != b.AccessCode {
		t.Errorf("scanned %q, want [%q]", got, b.AccessCode)
	}
}

func TestBadInputIsRefusedWithATypedErrorAndNothingIsWritten(t *testing.T) {
	ok := badges.Badge{Name: "Zoë Ødegård-Łukasiewicz"}
	cases := []struct {
		name  string
		style badges.Style
		badge badges.Badge
		want  error
		field string
	}{
		{"empty name", badges.Style{}, badges.Badge{Name: "  \t "}, badges.ErrEmptyName, "name"},
		{"name too long", badges.Style{}, badges.Badge{Name: strings.Repeat("Ł", badges.MaxNameLen+1)}, badges.ErrTooLong, "name"},
		{"company too long", badges.Style{}, badges.Badge{Name: "A", Company: strings.Repeat("x", badges.MaxTextLen+1)}, badges.ErrTooLong, "company"},
		{"too many seat types", badges.Style{}, badges.Badge{Name: "A", SeatTypes: make([]string, badges.MaxSeatTypes+1)}, badges.ErrTooLong, "seat types"},
		{"emoji", badges.Style{}, badges.Badge{Name: "Zoë 🎉"}, badges.ErrUnsupportedCharacter, "name"},
		{"Tibetan (no embedded font)", badges.Style{}, badges.Badge{Name: "བཀྲ་ཤིས"}, badges.ErrUnsupportedCharacter, "name"},
		{"control character", badges.Style{}, badges.Badge{Name: "Zoë\x07"}, badges.ErrUnsupportedCharacter, "name"},
		{"non-ASCII access code", badges.Style{}, badges.Badge{Name: "A", AccessCode: "KÄSE"}, badges.ErrInvalidAccessCode, "access code"},
		{"unknown layout", badges.Style{Layout: "a3-poster"}, ok, badges.ErrUnknownLayout, ""},
		{"colour name", badges.Style{Accent: "red"}, ok, badges.ErrInvalidColour, ""},
		{"bad hex digit", badges.Style{Accent: "#12345G"}, ok, badges.ErrInvalidColour, ""},
		{"short hex", badges.Style{OnAccent: "#1234"}, ok, badges.ErrInvalidColour, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			// The bad badge comes second: the first must not be printed either.
			err := badges.Render(context.Background(), &buf, c.style, []badges.Badge{ok, c.badge}, nil)
			if !errors.Is(err, c.want) {
				t.Fatalf("Render error = %v, want %v", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Render wrote %d bytes despite the error", buf.Len())
			}
			if c.field == "" {
				return
			}
			var be *badges.BadgeError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *BadgeError", err)
			}
			if be.Index != 1 || be.Field != c.field {
				t.Errorf("BadgeError index %d field %q, want 1 %q", be.Index, be.Field, c.field)
			}
		})
	}
}

func TestEmptyListIsAnError(t *testing.T) {
	var buf bytes.Buffer
	if err := badges.Render(context.Background(), &buf, badges.Style{}, nil, nil); !errors.Is(err, badges.ErrNoBadges) {
		t.Errorf("Render(nil) = %v, want ErrNoBadges", err)
	}
}

func TestBatchReportsProgressForEveryBadge(t *testing.T) {
	list, _ := sample.List(20, nil)
	var got [][2]int
	var buf bytes.Buffer
	err := badges.Render(context.Background(), &buf, badges.Style{Layout: badges.LayoutA4Sheet}, list, func(done, total int) {
		got = append(got, [2]int{done, total})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 || got[0] != [2]int{1, 20} || got[19] != [2]int{20, 20} {
		t.Errorf("progress calls = %v, want 1/20 .. 20/20", got)
	}
	if n := pageCount(buf.Bytes()); n != 3 {
		t.Errorf("20 badges at 8 per A4 page: %d pages, want 3", n)
	}
}

func TestCancelledBatchStopsAndWritesNothing(t *testing.T) {
	list, _ := sample.List(200, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var buf bytes.Buffer
	last := 0
	err := badges.Render(ctx, &buf, badges.Style{Layout: badges.LayoutA4Sheet}, list, func(done, total int) {
		last = done
		if done == 5 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Render = %v, want context.Canceled", err)
	}
	if last != 5 || buf.Len() != 0 {
		t.Errorf("after cancel: %d badges drawn, %d bytes written; want 5 and 0", last, buf.Len())
	}
}

func TestLayoutsPlaceTheirNumberOfBadgesPerPage(t *testing.T) {
	list, _ := sample.List(13, nil)
	for layout, want := range map[string]int{
		badges.LayoutLabel4x3:    13,
		badges.LayoutA4Sheet:     2,
		badges.LayoutLetterSheet: 3,
	} {
		if got := pageCount(render(t, badges.Style{Layout: layout}, list)); got != want {
			t.Errorf("%s: 13 badges on %d pages, want %d", layout, got, want)
		}
	}
}

func TestConferenceChoosesLayoutAndColours(t *testing.T) {
	err := badges.RegisterLayout(badges.Layout{
		Name: "test-6x4", PageWidth: 152.4, PageHeight: 101.6,
		BadgeWidth: 152.4, BadgeHeight: 101.6, Columns: 1, Rows: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	list, _ := sample.List(1, nil)
	pdf := render(t, badges.Style{Layout: "test-6x4", Accent: "#c0392b", OnAccent: "#fff"}, list)
	if !bytes.Contains(pdf, []byte("/MediaBox [0 0 432.00 288.00]")) {
		t.Error("custom 6 x 4 in layout did not set a 432 x 288 pt page")
	}
	if !slices.ContainsFunc(badges.Layouts(), func(l badges.Layout) bool { return l.Name == "test-6x4" }) {
		t.Error("Layouts does not list the registered layout")
	}
}

func TestRegisterLayoutRefusesBadgesThatDoNotFitThePage(t *testing.T) {
	err := badges.RegisterLayout(badges.Layout{
		Name: "too-many", PageWidth: 210, PageHeight: 297,
		BadgeWidth: 101.6, BadgeHeight: 76.2, Columns: 3, Rows: 3,
	})
	if !errors.Is(err, badges.ErrInvalidLayout) {
		t.Errorf("RegisterLayout = %v, want ErrInvalidLayout", err)
	}
	if _, err := badges.LookupLayout("too-many"); !errors.Is(err, badges.ErrUnknownLayout) {
		t.Errorf("refused layout is registered anyway: %v", err)
	}
}

func TestCJKFontIsEmbeddedOnlyWhenTheTextNeedsIt(t *testing.T) {
	latin := render(t, badges.Style{}, []badges.Badge{{Name: "Nguyễn Thị Minh Khai", Company: "Αθήνα"}})
	if bytes.Contains(latin, []byte("/BaseFont /utf8cjk")) {
		t.Error("a badge without CJK text embeds the CJK font")
	}
	if len(latin) > 60_000 {
		t.Errorf("single Latin badge is %d bytes; fonts should be subset", len(latin))
	}
	cjk := render(t, badges.Style{}, []badges.Badge{{Name: "王小明"}})
	if !bytes.Contains(cjk, []byte("/BaseFont /utf8cjk")) {
		t.Error("a badge with a CJK name does not embed the CJK font")
	}
}

func TestRenderOneWritesASinglePagePDF(t *testing.T) {
	var buf bytes.Buffer
	if err := badges.RenderOne(context.Background(), &buf, badges.Style{}, badges.Badge{Name: "王小明"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) || pageCount(buf.Bytes()) != 1 {
		t.Errorf("RenderOne wrote %d bytes, %d pages; want one PDF page", buf.Len(), pageCount(buf.Bytes()))
	}
}

func TestConcurrentRendersDoNotInterfere(t *testing.T) {
	names := []string{"王小明", "Zoë Ødegård-Łukasiewicz", "田中さくら", "Дмитрий Шостакович"}
	errs := make(chan error, len(names))
	for _, n := range names {
		go func() {
			var buf bytes.Buffer
			err := badges.RenderOne(context.Background(), &buf, badges.Style{}, badges.Badge{Name: n})
			if err == nil && pageCount(buf.Bytes()) != 1 {
				err = errors.New("no page")
			}
			errs <- err
		}()
	}
	for range names {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// A list longer than one chunk comes out as one document: every badge, in
// order, across the chunk boundaries, and the QR codes of the last chunk
// scan and verify like the first's.
func TestLongBatchIsOneDocumentWithEveryBadgeInOrder(t *testing.T) {
	signer, verifier := keys(t)
	list := signedList(t, 130, signer) // three chunks on A4 sheets
	for i := range list {
		list[i].Name = fmt.Sprintf("Attendee %03d %s", i, list[i].Name)
	}
	pdf := render(t, badges.Style{Layout: badges.LayoutA4Sheet}, list)
	if n := pageCount(pdf); n != 17 {
		t.Fatalf("130 badges at 8 per A4 page: %d pages, want 17", n)
	}
	// Long names wrap: compare with the line breaks folded.
	text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	at := 0
	for _, b := range list {
		i := strings.Index(text[at:], b.Name)
		if i < 0 {
			t.Fatalf("%q is missing, or out of order, after byte %d of the text", b.Name, at)
		}
		at += i + len(b.Name)
	}
	path := writeTemp(t, "batch.pdf", pdf)
	scanned := scanPDF(t, path, 150, "qrcode", 17)
	if len(scanned) != 2 {
		t.Fatalf("scanned %d QR codes on the last page, want 2", len(scanned))
	}
	for _, s := range scanned {
		if s != list[128].Token && s != list[129].Token {
			t.Errorf("last page holds %q, not the last two badges' tokens", s)
		}
		if _, err := verifier.Verify(s); err != nil {
			t.Errorf("token from the last page does not verify: %v", err)
		}
	}
}

// A Source makes each badge when asked: the document is the one Render
// makes of the same list, and a bad badge anywhere in it is refused, by
// its index, before anything is written.
func TestRenderFromASourceMakesTheSameDocumentAsTheList(t *testing.T) {
	signer, _ := keys(t)
	list := signedList(t, 60, signer)
	var calls atomic.Int64
	src := badges.Source{N: len(list), At: func(i int) badges.Badge { calls.Add(1); return list[i] }}
	var fromSource bytes.Buffer
	if err := badges.RenderFrom(context.Background(), &fromSource, badges.Style{Layout: badges.LayoutA4Sheet}, src, nil); err != nil {
		t.Fatal(err)
	}
	if calls.Load() < int64(len(list)) {
		t.Fatalf("At called %d times for %d badges", calls.Load(), len(list))
	}
	want := strings.Join(strings.Fields(pdfText(t, render(t, badges.Style{Layout: badges.LayoutA4Sheet}, list))), " ")
	if got := strings.Join(strings.Fields(pdfText(t, fromSource.Bytes())), " "); got != want {
		t.Errorf("text from a source differs from the list's:\n got %q\nwant %q", got, want)
	}

	bad := badges.Source{N: 100, At: func(i int) badges.Badge {
		if i == 97 {
			return badges.Badge{Name: " "}
		}
		return list[i%len(list)]
	}}
	var out bytes.Buffer
	var be *badges.BadgeError
	err := badges.RenderFrom(context.Background(), &out, badges.Style{}, bad, nil)
	if !errors.As(err, &be) || be.Index != 97 || !errors.Is(err, badges.ErrEmptyName) || out.Len() != 0 {
		t.Errorf("RenderFrom with an empty name at 97 = %v, %d bytes written; want a BadgeError at 97 and nothing", err, out.Len())
	}
}
