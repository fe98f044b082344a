package visual

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func line(t *testing.T, s string) string {
	t.Helper()
	p, err := New([]rune(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(p.Line(0, utf8.RuneCountInString(s)))
}

// orderCases pairs logical text with the visual order GNU FriBidi gives it
// (the fribidi command, its Arabic presentation forms mapped back by NFKC); the fribidi test below checks them again where the tool is there.
var orderCases = []struct{ logical, visual string }{
	{"abc", "abc"},
	{"דוד לוי", "יול דוד"},
	{"محمد 123 abc", "abc 123 دمحم"},
	{"abc محمد 123 def", "abc 123 دمحم def"},
	{"محمد 123abc", "123abc دمحم"},
	{"Ali ١٢٣ علي", "Ali يلع ١٢٣"},
	{"محمد (Mo) علي", "يلع (Mo) دمحم"},
	{"Dr. محمد علي", "Dr. يلع دمحم"},
	{"علي-حسن 2", "2 نسح-يلع"},
	{"עמית 3.5 כהן", "ןהכ 3.5 תימע"},
	{"محمد، Ali", "Ali ،دمحم"},
	{"(דוד)", "(דוד)"},
	{"Ahmad Al-علي", "Ahmad Al-يلع"},
	{"123 محمد", "دمحم 123"},
	{"1,234 ש", "ש 1,234"},
	{"$100 שקל", "לקש $100"},
	{"2-3 אבג", "גבא 2-3"},
	{"Zoë Ødegård", "Zoë Ødegård"},
	{"יעל בת-שבע 7", "7 עבש-תב לעי"},
	{"John O'Brien שרה", "John O'Brien הרש"},
	{"پژمان ۱۳۶۲", "۱۳۶۲ نامژپ"},
	{"Ali 12 Hasan", "Ali 12 Hasan"},
	{"אבג 12% def", "def 12% גבא"},
}

func TestLineOrdersLikeFriBidi(t *testing.T) {
	for _, c := range orderCases {
		if got := line(t, c.logical); got != c.visual {
			t.Errorf("Line(%q) = %q, want %q", c.logical, got, c.visual)
		}
	}
}

// The cases are what fribidi really outputs: a reference implementation of
// UAX #9, run when installed (libfribidi-bin), and always on CI.
func TestOrderCasesAreFriBidis(t *testing.T) {
	if _, err := exec.LookPath("fribidi"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("fribidi is not installed; CI must install libfribidi-bin")
		}
		t.Skip("fribidi is not installed (apt-get install libfribidi-bin)")
	}
	for _, c := range orderCases {
		cmd := exec.Command("fribidi", "--nopad", "--nobreak")
		cmd.Stdin = strings.NewReader(c.logical)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("fribidi: %v", err)
		}
		var visual strings.Builder
		for _, r := range strings.TrimRight(string(out), "\n") {
			visual.WriteString(norm.NFKC.String(string(r)))
		}
		if visual.String() != c.visual {
			t.Errorf("fribidi orders %q as %q, the case says %q", c.logical, visual.String(), c.visual)
		}
	}
}

func TestLinesOfOneParagraphKeepItsDirection(t *testing.T) {
	// "علي 12" alone would be a right-to-left paragraph; as the second line
	// of a left-to-right one, the number still follows the Arabic name
	// (rule L2 on the paragraph's levels).
	s := []rune("Dr. Ali علي 12")
	p, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.RightToLeft() {
		t.Error("paragraph starting with Latin is right to left")
	}
	if got, want := string(p.Line(0, 7)), "Dr. Ali"; got != want {
		t.Errorf("line 1 = %q, want %q", got, want)
	}
	if got, want := string(p.Line(8, len(s))), "12 يلع"; got != want {
		t.Errorf("line 2 = %q, want %q", got, want)
	}
}

// fribidi moves a mark of right-to-left text after its letter (rule L3);
// Line leaves it before, where the badge fonts draw it on its letter.
func TestMarksOfRightToLeftTextPrecedeTheirLetter(t *testing.T) {
	for logical, want := range map[string]string{
		"محمّد":   "د\u0651محم", // shadda on the second meem
		"שָׁלוֹם": "ם\u05B9ול\u05C1\u05B8ש",
	} {
		if got := line(t, logical); got != want {
			t.Errorf("Line(%+q) = %+q, want %+q", logical, got, want)
		}
	}
}

// Whatever the text, Line puts every character somewhere, once: its
// result is a permutation of the text, brackets mirrored back.
func FuzzLineIsAPermutation(f *testing.F) {
	for _, c := range orderCases {
		f.Add(c.logical)
	}
	f.Add("(a[b]c) «ד» 1,5% ١٢ x\u200Cy")
	f.Fuzz(func(t *testing.T, s string) {
		text := []rune(s)
		p, err := New(text)
		if err != nil {
			return // controls and separators are refused
		}
		got := p.Line(0, len(text))
		count := map[rune]int{}
		for _, r := range text {
			count[unmirror(r)]++
		}
		for _, r := range got {
			count[unmirror(r)]--
		}
		for r, n := range count {
			if n != 0 {
				t.Fatalf("Line(%+q) = %+q: %q appears %d times more in the text than in the line", s, string(got), r, n)
			}
		}
	})
}

// unmirror maps both brackets of a pair to one of them.
func unmirror(r rune) rune {
	if m, ok := mirrors[r]; ok && m < r {
		return m
	}
	return r
}
