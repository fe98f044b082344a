package badges_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"conference/badges"
)

// scriptNames are names in every script a big conference meets beyond
// Latin, Greek, Cyrillic and Chinese, with the company line in the same
// script.
var scriptNames = []struct {
	script        string
	name, company string
	// joined, for Arabic-script names, is a stretch of the name as it must
	// print: in presentation forms, as pdftotext reports them before NFKC.
	joined string
}{
	{script: "Hangul", name: "김민준", company: "삼성전자"},
	{script: "Hangul beyond KS X 1001", name: "남궁똠", company: "카카오"},
	{script: "Hiragana", name: "たなか さくら", company: "ぐるなび"},
	{script: "Katakana", name: "サトウ ケンジ", company: "ヴァン・ヘルシング"},
	{script: "Katakana for Ainu", name: "カㇺイ ゕゖ", company: "アイヌ モシㇼ"},
	{script: "Arabic", name: "محمد عبد الله", company: "شركة النور", joined: "\uFEE3\uFEA4\uFEE4\uFEAA \uFECB\uFE92\uFEAA"},
	{script: "Arabic lam-alef", name: "علاء الدين", company: "مكتبة", joined: "\uFECB\uFEFC\u0621"},
	{script: "Arabic shadda", name: "محمّد سعيد", company: "أرامكو", joined: "\uFEE3\uFEA4\uFEE4\u0651\uFEAA"},
	{script: "Hebrew", name: "דוד לוי", company: "שרה כהן בע\"מ"},
	{script: "Persian", name: "پژمان جمشیدی", company: "گلشیفته", joined: "\uFB58\uFB8B\uFEE3\uFE8E\uFEE5"},
	{script: "Persian ZWNJ", name: "حسن\u200Cزاده", company: "کیانوش", joined: "\uFEA3\uFEB4\uFEE6\u200C\uFEAF"},
	{script: "Latin and Arabic", name: "Omar عمر Khaled", company: "Acme"},
	{script: "Arabic, Latin and digits", name: "ليلى Haddad 2", company: "شركة 3M"},
}

// bidiControls are the embedding marks pdftotext puts around right-to-left
// text: it reports each right-to-left stretch in logical order, between
// RIGHT-TO-LEFT EMBEDDING and POP DIRECTIONAL FORMATTING.
const bidiControls = "\u202A\u202B\u202C\u202D\u202E"

func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(bidiControls, r) {
			return -1
		}
		return r
	}, s)
}

// displayed is the visual order in which a bidi-aware screen shows s (its
// embedding controls honoured), from GNU FriBidi, a reference
// implementation of the Unicode Bidirectional Algorithm; its Arabic
// shaping is undone by NFKC, one character at a time.
func displayed(t *testing.T, s string) string {
	t.Helper()
	requireTool(t, "fribidi")
	out := runInput(t, s, "fribidi", "--nopad", "--nobreak")
	var b strings.Builder
	for _, r := range strings.TrimRight(out, "\n") {
		b.WriteString(norm.NFKC.String(string(r)))
	}
	return stripControls(b.String())
}

// Each name is read back from the PDF as pdftotext extracts it. A line
// reads back as the name when, after NFKC (which maps presentation forms
// back to letters), it shows on a bidi-aware screen exactly as the name
// does; a name in one direction must also come back in its logical order
// exactly. pdftotext reorders what it extracts: right-to-left stretches
// come back in logical order, but a mixed line keeps its words in visual
// order, so for mixed names the logical strings differ while what a reader
// sees is the same.
func TestEveryScriptPrintsAndReadsBackOnEveryLayout(t *testing.T) {
	var list []badges.Badge
	for _, s := range scriptNames {
		list = append(list, badges.Badge{Name: s.name, Company: s.company, Conference: "مؤتمر Go 2026"})
	}
	for _, layout := range allLayouts {
		t.Run(layout, func(t *testing.T) {
			text := pdfText(t, render(t, badges.Style{Layout: layout}, list))
			lines := strings.Split(text, "\n")
			for _, s := range scriptNames {
				for _, want := range []string{s.name, s.company} {
					if !readsBack(t, lines, want) {
						t.Errorf("%s: no line of pdftotext's output reads back as %q (%s); got:\n%s", s.script, want, strconv.QuoteToASCII(want), text)
					}
				}
				if s.joined != "" && !strings.Contains(text, s.joined) {
					t.Errorf("%s: %q is not printed in its joined forms %+q", s.script, s.name, s.joined)
				}
			}
		})
	}
}

func readsBack(t *testing.T, lines []string, want string) bool {
	t.Helper()
	oneDirection := !mixedDirection(want)
	for _, line := range lines {
		got := norm.NFKC.String(line)
		if oneDirection {
			if stripControls(got) == want {
				return true
			}
			continue
		}
		if strings.ContainsAny(got, bidiControls) && displayed(t, got) == displayed(t, want) {
			return true
		}
	}
	return false
}

func mixedDirection(s string) bool {
	ltr, rtl := false, false
	for _, r := range s {
		ltr = ltr || unicode.In(r, unicode.Latin, unicode.Nd) && r < 0x600
		rtl = rtl || unicode.In(r, unicode.Arabic, unicode.Hebrew)
	}
	return ltr && rtl
}

// A long Arabic name shrinks, or goes on two lines, like a Latin one: the
// whole name prints, inside the badge.
func TestLongArabicNameFitsTheBadge(t *testing.T) {
	name := "عبد الرحمن بن محمد بن عبد العزيز آل سعود الفيصل"
	for _, layout := range allLayouts {
		pdf := render(t, badges.Style{Layout: layout}, []badges.Badge{{Name: name, Company: "Acme"}})
		l, err := badges.LookupLayout(layout)
		if err != nil {
			t.Fatal(err)
		}
		// The first badge's left edge: badges are centred on the page.
		left := (l.PageWidth - float64(l.Columns)*l.BadgeWidth) / 2
		var got []string
		for _, w := range pdfWords(t, pdf) {
			if !strings.ContainsFunc(w.text, func(r rune) bool { return unicode.Is(unicode.Arabic, r) }) {
				continue
			}
			// -bbox gives a word's characters in the order they are
			// drawn, left to right: reversed, an Arabic word is logical.
			chars := []rune(w.text)
			slices.Reverse(chars)
			got = append(got, norm.NFKC.String(string(chars)))
			if w.xMin < left || w.xMax > left+l.BadgeWidth {
				t.Errorf("%s: %q spans x %.1f-%.1f mm, outside the badge's %.1f-%.1f mm", layout, w.text, w.xMin, w.xMax, left, left+l.BadgeWidth)
			}
		}
		want := strings.Fields(name)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: printed words %q, want the words of %q", layout, got, name)
		}
	}
}

func TestScriptsWithoutAFontAreRefusedByName(t *testing.T) {
	for _, c := range []struct{ name, script string }{
		{"བཀྲ་ཤིས", "Tibetan"},
		{"ኃይለ ሥላሴ", "Ethiopic"},
		{"Zoë 🎉", "Common"},
		{"ߒߞߏ", "Nko"}, // a font has the letters, but they would print unjoined
		{"ᠮᠣᠩᠭᠣᠯ", "Mongolian"},
	} {
		err := badges.RenderOne(t.Context(), &strings.Builder{}, badges.Style{}, badges.Badge{Name: c.name})
		if !errors.Is(err, badges.ErrUnsupportedCharacter) || !strings.Contains(err.Error(), c.script) {
			t.Errorf("RenderOne(%q) = %v, want ErrUnsupportedCharacter naming the %s script", c.name, err, c.script)
		}
	}
}

func TestArabicLettersWithoutJoinedFormsAreRefused(t *testing.T) {
	// Kurdish ێ has no presentation forms: printed unjoined, the name
	// would be garbled.
	err := badges.RenderOne(t.Context(), &strings.Builder{}, badges.Style{}, badges.Badge{Name: "شێرکۆ"})
	if !errors.Is(err, badges.ErrUnsupportedCharacter) || !strings.Contains(err.Error(), "Arabic") {
		t.Errorf("RenderOne(Kurdish name) = %v, want ErrUnsupportedCharacter naming the Arabic letter", err)
	}
}
