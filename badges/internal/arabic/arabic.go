// Package arabic joins the letters of Arabic-script text (Arabic, Persian,
// Urdu and others) the way a shaping engine would, for a renderer that does
// none: each letter becomes its contextual presentation form (isolated,
// final, initial or medial) and lam followed by alef becomes their
// ligature.
//
// gofpdf draws one glyph per code point, looked up in the font's character
// map, so without this an Arabic name prints as a row of unjoined letters.
// Unicode keeps the presentation forms (U+FB50-FDFF, U+FE70-FEFF) for
// renderers like it, and the badge fonts map them in their cmap.
//
// Joining follows the rules of the Unicode Standard, chapter 9.2: a letter
// joins the one before it when both sides allow it, marks (harakat) are
// transparent, tatweel and ZERO WIDTH JOINER force a join, ZERO WIDTH
// NON-JOINER breaks one.
package arabic

import "unicode"

// Indexes into forms.
const (
	isolated = iota
	final
	initial
	medial
)

// forms holds a letter's presentation forms, indexed isolated, final,
// initial, medial; 0 where the letter has no such form.
type forms [4]rune

// letters maps every Arabic letter that has presentation forms to them, as
// Unicode's decompositions (<isolated>, <final>, <initial>, <medial>) give
// them. A letter with medial forms joins on both sides, one with only a
// final form joins only the letter before it.
var letters = map[rune]forms{
	0x0621: {0xFE80, 0, 0, 0},                // hamza
	0x0622: {0xFE81, 0xFE82, 0, 0},           // alef with madda above
	0x0623: {0xFE83, 0xFE84, 0, 0},           // alef with hamza above
	0x0624: {0xFE85, 0xFE86, 0, 0},           // waw with hamza above
	0x0625: {0xFE87, 0xFE88, 0, 0},           // alef with hamza below
	0x0626: {0xFE89, 0xFE8A, 0xFE8B, 0xFE8C}, // yeh with hamza above
	0x0627: {0xFE8D, 0xFE8E, 0, 0},           // alef
	0x0628: {0xFE8F, 0xFE90, 0xFE91, 0xFE92}, // beh
	0x0629: {0xFE93, 0xFE94, 0, 0},           // teh marbuta
	0x062A: {0xFE95, 0xFE96, 0xFE97, 0xFE98}, // teh
	0x062B: {0xFE99, 0xFE9A, 0xFE9B, 0xFE9C}, // theh
	0x062C: {0xFE9D, 0xFE9E, 0xFE9F, 0xFEA0}, // jeem
	0x062D: {0xFEA1, 0xFEA2, 0xFEA3, 0xFEA4}, // hah
	0x062E: {0xFEA5, 0xFEA6, 0xFEA7, 0xFEA8}, // khah
	0x062F: {0xFEA9, 0xFEAA, 0, 0},           // dal
	0x0630: {0xFEAB, 0xFEAC, 0, 0},           // thal
	0x0631: {0xFEAD, 0xFEAE, 0, 0},           // reh
	0x0632: {0xFEAF, 0xFEB0, 0, 0},           // zain
	0x0633: {0xFEB1, 0xFEB2, 0xFEB3, 0xFEB4}, // seen
	0x0634: {0xFEB5, 0xFEB6, 0xFEB7, 0xFEB8}, // sheen
	0x0635: {0xFEB9, 0xFEBA, 0xFEBB, 0xFEBC}, // sad
	0x0636: {0xFEBD, 0xFEBE, 0xFEBF, 0xFEC0}, // dad
	0x0637: {0xFEC1, 0xFEC2, 0xFEC3, 0xFEC4}, // tah
	0x0638: {0xFEC5, 0xFEC6, 0xFEC7, 0xFEC8}, // zah
	0x0639: {0xFEC9, 0xFECA, 0xFECB, 0xFECC}, // ain
	0x063A: {0xFECD, 0xFECE, 0xFECF, 0xFED0}, // ghain
	0x0641: {0xFED1, 0xFED2, 0xFED3, 0xFED4}, // feh
	0x0642: {0xFED5, 0xFED6, 0xFED7, 0xFED8}, // qaf
	0x0643: {0xFED9, 0xFEDA, 0xFEDB, 0xFEDC}, // kaf
	0x0644: {0xFEDD, 0xFEDE, 0xFEDF, 0xFEE0}, // lam
	0x0645: {0xFEE1, 0xFEE2, 0xFEE3, 0xFEE4}, // meem
	0x0646: {0xFEE5, 0xFEE6, 0xFEE7, 0xFEE8}, // noon
	0x0647: {0xFEE9, 0xFEEA, 0xFEEB, 0xFEEC}, // heh
	0x0648: {0xFEED, 0xFEEE, 0, 0},           // waw
	0x0649: {0xFEEF, 0xFEF0, 0xFBE8, 0xFBE9}, // alef maksura
	0x064A: {0xFEF1, 0xFEF2, 0xFEF3, 0xFEF4}, // yeh
	0x0671: {0xFB50, 0xFB51, 0, 0},           // alef wasla
	0x0679: {0xFB66, 0xFB67, 0xFB68, 0xFB69}, // tteh
	0x067A: {0xFB5E, 0xFB5F, 0xFB60, 0xFB61}, // tteheh
	0x067B: {0xFB52, 0xFB53, 0xFB54, 0xFB55}, // beeh
	0x067E: {0xFB56, 0xFB57, 0xFB58, 0xFB59}, // peh
	0x067F: {0xFB62, 0xFB63, 0xFB64, 0xFB65}, // teheh
	0x0680: {0xFB5A, 0xFB5B, 0xFB5C, 0xFB5D}, // beheh
	0x0683: {0xFB76, 0xFB77, 0xFB78, 0xFB79}, // nyeh
	0x0684: {0xFB72, 0xFB73, 0xFB74, 0xFB75}, // dyeh
	0x0686: {0xFB7A, 0xFB7B, 0xFB7C, 0xFB7D}, // tcheh
	0x0687: {0xFB7E, 0xFB7F, 0xFB80, 0xFB81}, // tcheheh
	0x0688: {0xFB88, 0xFB89, 0, 0},           // ddal
	0x068C: {0xFB84, 0xFB85, 0, 0},           // dahal
	0x068D: {0xFB82, 0xFB83, 0, 0},           // ddahal
	0x068E: {0xFB86, 0xFB87, 0, 0},           // dul
	0x0691: {0xFB8C, 0xFB8D, 0, 0},           // rreh
	0x0698: {0xFB8A, 0xFB8B, 0, 0},           // jeh
	0x06A4: {0xFB6A, 0xFB6B, 0xFB6C, 0xFB6D}, // veh
	0x06A6: {0xFB6E, 0xFB6F, 0xFB70, 0xFB71}, // peheh
	0x06A9: {0xFB8E, 0xFB8F, 0xFB90, 0xFB91}, // keheh
	0x06AD: {0xFBD3, 0xFBD4, 0xFBD5, 0xFBD6}, // ng
	0x06AF: {0xFB92, 0xFB93, 0xFB94, 0xFB95}, // gaf
	0x06B1: {0xFB9A, 0xFB9B, 0xFB9C, 0xFB9D}, // ngoeh
	0x06B3: {0xFB96, 0xFB97, 0xFB98, 0xFB99}, // gueh
	0x06BA: {0xFB9E, 0xFB9F, 0, 0},           // noon ghunna
	0x06BB: {0xFBA0, 0xFBA1, 0xFBA2, 0xFBA3}, // rnoon
	0x06BE: {0xFBAA, 0xFBAB, 0xFBAC, 0xFBAD}, // heh doachashmee
	0x06C0: {0xFBA4, 0xFBA5, 0, 0},           // heh with yeh above
	0x06C1: {0xFBA6, 0xFBA7, 0xFBA8, 0xFBA9}, // heh goal
	0x06C5: {0xFBE0, 0xFBE1, 0, 0},           // kirghiz oe
	0x06C6: {0xFBD9, 0xFBDA, 0, 0},           // oe
	0x06C7: {0xFBD7, 0xFBD8, 0, 0},           // u
	0x06C8: {0xFBDB, 0xFBDC, 0, 0},           // yu
	0x06C9: {0xFBE2, 0xFBE3, 0, 0},           // kirghiz yu
	0x06CB: {0xFBDE, 0xFBDF, 0, 0},           // ve
	0x06CC: {0xFBFC, 0xFBFD, 0xFBFE, 0xFBFF}, // farsi yeh
	0x06D0: {0xFBE4, 0xFBE5, 0xFBE6, 0xFBE7}, // e
	0x06D2: {0xFBAE, 0xFBAF, 0, 0},           // yeh barree
	0x06D3: {0xFBB0, 0xFBB1, 0, 0},           // yeh barree with hamza above
}

// lamAlef maps the alef that may follow lam to the isolated and final forms
// of their ligature.
var lamAlef = map[rune][2]rune{
	0x0622: {0xFEF5, 0xFEF6}, // with madda above
	0x0623: {0xFEF7, 0xFEF8}, // with hamza above
	0x0625: {0xFEF9, 0xFEFA}, // with hamza below
	0x0627: {0xFEFB, 0xFEFC},
}

const (
	lam     = 0x0644
	tatweel = 0x0640
	zwj     = 0x200D
)

type joining uint8

const (
	nonJoining joining = iota
	rightJoining
	dualJoining
	joinCausing
	transparent
)

func joiningType(r rune) joining {
	if f, ok := letters[r]; ok {
		switch {
		case f[medial] != 0:
			return dualJoining
		case f[final] != 0:
			return rightJoining
		}
		return nonJoining
	}
	switch {
	case r == tatweel || r == zwj:
		return joinCausing
	case unicode.In(r, unicode.Mn, unicode.Me):
		return transparent
	}
	return nonJoining
}

// Joinable reports whether r prints correctly without OpenType shaping: it
// is no letter of the Arabic script, or one this package joins. Arabic
// letters outside the presentation forms (Kurdish ێ, Pashto ړ, and the
// Arabic Supplement blocks) would print unjoined, so callers refuse them.
func Joinable(r rune) bool {
	if !unicode.Is(unicode.Arabic, r) || !unicode.IsLetter(r) {
		return true
	}
	if _, ok := letters[r]; ok {
		return true
	}
	return isPresentationForm(r)
}

// Joins reports whether r is an Arabic letter that joins its neighbours:
// left in text by Shape, it is one whose forms no font has.
func Joins(r rune) bool {
	t := joiningType(r)
	return t == dualJoining || t == rightJoining
}

func isPresentationForm(r rune) bool {
	return r >= 0xFB50 && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF
}

// Shape returns text, in logical order, with each Arabic letter replaced by
// its contextual form and each lam-alef pair by its ligature. has reports
// whether a font can print a code point: a form no font has is left out,
// the letter keeping its nominal code point (it prints, only unjoined).
// Text without Arabic letters comes back unchanged.
func Shape(text []rune, has func(rune) bool) []rune {
	types := make([]joining, len(text))
	arabic := false
	for i, r := range text {
		types[i] = joiningType(r)
		arabic = arabic || types[i] == dualJoining || types[i] == rightJoining
	}
	if !arabic {
		return text
	}
	// neighbour returns the type of the nearest character before (step -1)
	// or after (step 1) i that is not transparent.
	neighbour := func(i, step int) joining {
		for j := i + step; j >= 0 && j < len(text); j += step {
			if types[j] != transparent {
				return types[j]
			}
		}
		return nonJoining
	}
	out := make([]rune, 0, len(text))
	for i := 0; i < len(text); i++ {
		r, t := text[i], types[i]
		if t != dualJoining && t != rightJoining {
			out = append(out, r)
			continue
		}
		before := neighbour(i, -1)
		joinsBefore := before == dualJoining || before == joinCausing
		if r == lam && i+1 < len(text) {
			if lig, ok := lamAlef[text[i+1]]; ok {
				form := lig[0]
				if joinsBefore {
					form = lig[1]
				}
				if has(form) {
					out = append(out, form)
					i++
					continue
				}
			}
		}
		after := neighbour(i, 1)
		joinsAfter := t == dualJoining && (after == dualJoining || after == rightJoining || after == joinCausing)
		form := isolated
		switch {
		case joinsBefore && joinsAfter:
			form = medial
		case joinsBefore:
			form = final
		case joinsAfter:
			form = initial
		}
		if f := letters[r][form]; f != 0 && has(f) {
			r = f
		}
		out = append(out, r)
	}
	return out
}
