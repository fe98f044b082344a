package fonts

import (
	"strings"
	"testing"
	"unicode"

	"github.com/jung-kurt/gofpdf"
)

func TestEverySampleScriptHasAFont(t *testing.T) {
	s, err := Sans()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Zoë Ødegård-Łukasiewicz", "Αλέξανδρος Παπαδόπουλος", "Дмитрий Шостакович", "王小明", "Nguyễn Thị Minh Khai", "田中さくら",
		"김민준", "محمد عبد الله", "דוד לוי", "پژمان"} {
		for _, r := range name {
			if _, ok := s.Lookup(r); !ok {
				t.Errorf("no font for %q in %q", r, name)
			}
		}
	}
}

func TestLatinGreekCyrillicHebrewComeFromOnePiece(t *testing.T) {
	s, _ := Sans()
	first, _ := s.Lookup('A')
	for _, r := range "ëØŁλДễ€–דוש" {
		if p, _ := s.Lookup(r); p != first {
			t.Errorf("%q is in piece %v, not %s: a Latin name would load two fonts", r, p, first.Name)
		}
	}
}

// The characters common names use are in one piece per script, so a name
// loads one subset.
func TestCommonHanziAndHangulShareOnePiece(t *testing.T) {
	s, _ := Sans()
	for _, names := range []string{"王小明李静张伟陈美玲田中太郎", "김민준이서연박지훈최유진정하은"} {
		first, _ := s.Lookup([]rune(names)[0])
		for _, r := range names {
			if p, _ := s.Lookup(r); p != first {
				t.Errorf("%q is not in the piece of %q", r, []rune(names)[0])
			}
		}
	}
}

func TestSubsetHoldsTheRequestedGlyphs(t *testing.T) {
	s, _ := Sans()
	p, _ := s.Lookup('王')
	sub, err := p.Subset([]rune("王小明"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := coverage(sub)
	if err != nil {
		t.Fatal(err)
	}
	want := map[rune]bool{'王': true, '小': true, '明': true}
	for _, r := range got {
		delete(want, r)
	}
	if len(want) != 0 {
		t.Errorf("subset lacks %v", want)
	}
	if len(sub) > 20_000 {
		t.Errorf("subset of 3 glyphs is %d bytes", len(sub))
	}
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("x", "", sub)
	pdf.AddPage()
	pdf.SetFont("x", "", 12)
	if w := pdf.GetStringWidth("王小明"); w <= 0 {
		t.Errorf("gofpdf measures the subset text as %v mm wide", w)
	}
}

func TestCoverageRefusesTruncatedFonts(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("\x00\x01\x00\x00\x00\x05"), make([]byte, 40)} {
		if _, err := coverage(b); err == nil {
			t.Errorf("coverage(%d bytes) succeeded", len(b))
		}
	}
}

// pieceOf returns the name of the font a piece was cut from ("dvr", "ara", ...).
func pieceOf(p *Piece) string { return strings.TrimRight(p.Name, "0123456789") }

func TestEveryKanaAndHangulSyllablePrints(t *testing.T) {
	s, _ := Sans()
	kana := &unicode.RangeTable{R16: []unicode.Range16{{Lo: 0x3041, Hi: 0x3096, Stride: 1}, {Lo: 0x3099, Hi: 0x30FF, Stride: 1}, {Lo: 0x31F0, Hi: 0x31FF, Stride: 1}, {Lo: 0xFF65, Hi: 0xFF9F, Stride: 1}}}
	for _, table := range []*unicode.RangeTable{kana, {R16: []unicode.Range16{{Lo: 0xAC00, Hi: 0xD7A3, Stride: 1}}}} {
		for _, rg := range table.R16 {
			for r := rune(rg.Lo); r <= rune(rg.Hi); r++ {
				if _, ok := s.Lookup(r); !ok {
					t.Errorf("no font has %q (U+%04X)", r, r)
				}
			}
		}
	}
}

func TestEachScriptPrintsInItsOwnFont(t *testing.T) {
	s, _ := Sans()
	for text, want := range map[string]string{
		"Zoë Ødegård Αλέξανδρος Дмитрий דוד": "dvr",
		// Arabic letters, their presentation forms, marks and punctuation
		"محمدپگ\uFEE3\uFEFB\uFB58\uFBFF\u0651\u060C\u06F1": "ara",
		"김민준똠\u3131":   "kor",
		"王小明田中さくらカタカナ": "cjk",
		"\u3095\u31F0": "kana",
	} {
		for _, r := range text {
			if r == ' ' {
				continue
			}
			p, ok := s.Lookup(r)
			if !ok {
				t.Errorf("no font has %q (U+%04X)", r, r)
				continue
			}
			if got := pieceOf(p); got != want {
				t.Errorf("%q (U+%04X) prints in %s, want %s", r, r, got, want)
			}
		}
	}
}
