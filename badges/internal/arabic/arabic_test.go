package arabic

import (
	"fmt"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func all(rune) bool { return true }

// The expected forms are GNU FriBidi's, the shaping of Linux desktops
// (the fribidi command's visual output put back in logical order).
func TestShapeJoinsLettersLikeFriBidi(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"محمد", "\uFEE3\uFEA4\uFEE4\uFEAA"},
		{"علي", "\uFECB\uFEE0\uFEF2"},
		{"عبد الله", "\uFECB\uFE92\uFEAA \uFE8D\uFEDF\uFEE0\uFEEA"},
		{"فاطمة الزهراء", "\uFED3\uFE8E\uFEC3\uFEE4\uFE94 \uFE8D\uFEDF\uFEB0\uFEEB\uFEAE\uFE8D\u0621"},
		// lam-alef ligatures, isolated and final
		{"لا", "\uFEFB"},
		{"سلام", "\uFEB3\uFEFC\uFEE1"},
		{"إلهام", "\uFE87\uFEDF\uFEEC\uFE8E\uFEE1"},
		{"آلاء", "\uFE81\uFEFB\u0621"},
		{"ملأ", "\uFEE3\uFEF8"},
		// Persian: peh, jeh, tcheh, gaf, keheh, farsi yeh
		{"پژمان", "\uFB58\uFB8B\uFEE3\uFE8E\uFEE5"},
		{"چنگیز", "\uFB7C\uFEE8\uFB95\uFBFF\uFEB0"},
		{"گلشیفته", "\uFB94\uFEE0\uFEB8\uFBFF\uFED4\uFE98\uFEEA"},
		{"کیانوش", "\uFB90\uFBFF\uFE8E\uFEE7\uFEEE\uFEB5"},
		{"یاسمن", "\uFBFE\uFE8E\uFEB3\uFEE4\uFEE6"},
		// ZERO WIDTH NON-JOINER breaks the join and stays
		{"حسن\u200Cزاده", "\uFEA3\uFEB4\uFEE6\u200C\uFEAF\uFE8D\uFEA9\uFEE9"},
		// a mark (shadda) between two letters does not break their join
		{"محمّد", "\uFEE3\uFEA4\uFEE4\u0651\uFEAA"},
		// tatweel joins
		{"بـ", "\uFE91\u0640"},
		{"ه", "\uFEE9"},
		// Latin and digits around Arabic are left alone
		{"Ali علي 2", "Ali \uFECB\uFEE0\uFEF2 2"},
	} {
		if got := string(Shape([]rune(c.in), all)); got != c.want {
			t.Errorf("Shape(%q) = %s, want %s", c.in, codes(got), codes(c.want))
		}
	}
}

func TestShapeKeepsNominalLettersWhereNoFontHasTheForm(t *testing.T) {
	in := "سلام"
	if got := string(Shape([]rune(in), func(rune) bool { return false })); got != in {
		t.Errorf("with no forms available, Shape(%q) = %s", in, codes(got))
	}
	// Without the lam-alef ligature, lam and alef join as letters.
	noLigature := func(r rune) bool { return r < 0xFEF5 || r > 0xFEFC }
	if got, want := string(Shape([]rune(in), noLigature)), "\uFEB3\uFEE0\uFE8E\uFEE1"; got != want {
		t.Errorf("without ligatures, Shape(%q) = %s, want %s", in, codes(got), codes(want))
	}
}

func TestShapeLeavesOtherScriptsUnchanged(t *testing.T) {
	for _, s := range []string{"Zoë Ødegård", "דוד לוי", "王小明", "김민준", ""} {
		if got := string(Shape([]rune(s), all)); got != s {
			t.Errorf("Shape(%q) = %q", s, got)
		}
	}
}

// Every form in the table is the presentation form of its letter, per
// Unicode's compatibility decompositions; NFKC maps shaped text back to the
// letters typed.
func TestFormsDecomposeToTheirLetter(t *testing.T) {
	for letter, f := range letters {
		for i, form := range f {
			if form == 0 {
				continue
			}
			if d := norm.NFKC.String(string(form)); d != string(letter) {
				t.Errorf("form %d of U+%04X is U+%04X, which NFKC maps to %s", i, letter, form, codes(d))
			}
		}
		if f[isolated] == 0 {
			t.Errorf("U+%04X has no isolated form", letter)
		}
		if (f[initial] == 0) != (f[medial] == 0) || f[medial] != 0 && f[final] == 0 {
			t.Errorf("U+%04X has forms %v: a letter joins on the left with both initial and medial forms and a final", letter, f)
		}
	}
	for alef, lig := range lamAlef {
		for _, form := range lig {
			if d := norm.NFKC.String(string(form)); d != string([]rune{lam, alef}) {
				t.Errorf("ligature U+%04X NFKC maps to %s, want lam + U+%04X", form, codes(d), alef)
			}
		}
	}
}

func TestJoinableRefusesArabicLettersWithoutForms(t *testing.T) {
	for _, r := range "محمدپژچگکیلاۆ0١,. aé王" {
		if !Joinable(r) {
			t.Errorf("Joinable(%q) = false", r)
		}
	}
	for _, r := range "ێڵړݐ" { // Kurdish, Pashto, Arabic Supplement
		if Joinable(r) {
			t.Errorf("Joinable(%q) = true, but it has no presentation forms", r)
		}
		if !unicode.Is(unicode.Arabic, r) {
			t.Fatalf("%q is not Arabic script", r)
		}
	}
}

func codes(s string) string {
	out := ""
	for _, r := range s {
		out += fmt.Sprintf("\\u%04X", r)
	}
	return out
}

// Shaping changes how letters look, never what they say: NFKC maps the
// shaped text back to the text.
func FuzzShapeKeepsTheText(f *testing.F) {
	for _, s := range []string{"محمد عبد الله", "سلام لأ لإ لآ", "حسن\u200Cزاده", "محمّد ـبـ", "Ali علي ١٢", "ێ ڵ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // badge text is NFC-normalised UTF-8
		}
		shaped := string(Shape([]rune(s), all))
		if got, want := norm.NFKC.String(shaped), norm.NFKC.String(s); got != want {
			t.Fatalf("NFKC(Shape(%+q)) = %+q, want %+q", s, got, want)
		}
	})
}
