// Package visual puts a line of bidirectional text (Latin beside Arabic or
// Hebrew, digits inside right-to-left text) in the order its characters
// are drawn, left to right, following the Unicode Bidirectional Algorithm
// (UAX #9) for a paragraph without explicit embedding controls.
//
// golang.org/x/text/unicode/bidi resolves each character's direction, but
// its Ordering only splits the text into runs of one direction, in logical
// order, and does not say at which embedding level each run sits. Drawing
// needs the levels (rule L2 reverses by level, and a number inside Arabic
// text sits one level above it), so New recovers them: the direction from
// x/text, and whether an even-level character is a number (level 2, not 0)
// from the weak-type rules W1-W7, which only look at the characters' own
// classes.
package visual

import (
	"fmt"
	"slices"

	"golang.org/x/text/unicode/bidi"
)

// Paragraph is a text with each character's resolved embedding level.
type Paragraph struct {
	text    []rune
	classes []bidi.Class
	levels  []uint8
	base    uint8
}

// New resolves the embedding levels of text, taken as one paragraph whose
// direction is that of its first strong character (rules P2, P3). Text
// holding a paragraph separator or an explicit embedding, override or
// isolate control is refused.
func New(text []rune) (*Paragraph, error) {
	p := &Paragraph{text: text, classes: make([]bidi.Class, len(text)), levels: make([]uint8, len(text))}
	rtl := false // any character that rises above level 0
	strongSeen := false
	for i, r := range text {
		props, _ := bidi.LookupRune(r)
		c := props.Class()
		p.classes[i] = c
		switch c {
		case bidi.R, bidi.AL:
			rtl = true
			if !strongSeen {
				p.base, strongSeen = 1, true
			}
		case bidi.AN:
			rtl = true
		case bidi.L:
			strongSeen = true
		case bidi.B, bidi.LRO, bidi.RLO, bidi.LRE, bidi.RLE, bidi.PDF, bidi.LRI, bidi.RLI, bidi.FSI, bidi.PDI:
			return nil, fmt.Errorf("bidi: control or separator U+%04X in a line of text", r)
		}
	}
	if !rtl {
		return p, nil // left to right throughout: every level is 0
	}
	var bp bidi.Paragraph
	var opts []bidi.Option
	if p.base == 1 {
		// x/text takes this as the paragraph level itself; as a mere
		// default it would give the same, found from the same character.
		opts = append(opts, bidi.DefaultDirection(bidi.RightToLeft))
	}
	if _, err := bp.SetString(string(text), opts...); err != nil {
		return nil, fmt.Errorf("bidi: %w", err)
	}
	o, err := bp.Order()
	if err != nil {
		return nil, fmt.Errorf("bidi: %w", err)
	}
	numeric := p.numbers()
	for i := range o.NumRuns() {
		run := o.Run(i)
		start, end := run.Pos()
		for j := start; j <= end && j < len(text); j++ {
			switch {
			case run.Direction() == bidi.RightToLeft:
				p.levels[j] = 1
			case p.base == 1 || numeric[j]:
				p.levels[j] = 2 // rules I1, I2
			}
		}
	}
	return p, nil
}

// numbers reports which characters resolve to a number type (EN or AN)
// after the weak-type rules W1-W7; with the paragraph's direction they say
// which characters of a left-to-right run rise to level 2 (rule I1).
// Boundary neutrals (ZERO WIDTH JOINER and NON-JOINER) are skipped, as
// rule X9 removes them.
func (p *Paragraph) numbers() []bool {
	var idx []int
	var t []bidi.Class
	for i, c := range p.classes {
		if c != bidi.BN {
			idx = append(idx, i)
			t = append(t, c)
		}
	}
	sos := bidi.L
	if p.base == 1 {
		sos = bidi.R
	}
	for i := range t { // W1
		if t[i] == bidi.NSM {
			t[i] = sos
			if i > 0 {
				t[i] = t[i-1]
			}
		}
	}
	strong := sos
	for i := range t { // W2, W3
		switch t[i] {
		case bidi.L, bidi.R:
			strong = t[i]
		case bidi.AL:
			strong, t[i] = bidi.AL, bidi.R
		case bidi.EN:
			if strong == bidi.AL {
				t[i] = bidi.AN
			}
		}
	}
	for i := 1; i+1 < len(t); i++ { // W4
		if t[i-1] == t[i+1] && (t[i] == bidi.CS && (t[i-1] == bidi.EN || t[i-1] == bidi.AN) || t[i] == bidi.ES && t[i-1] == bidi.EN) {
			t[i] = t[i-1]
		}
	}
	for i := 0; i < len(t); { // W5
		j := i
		for j < len(t) && t[j] == bidi.ET {
			j++
		}
		if j > i && (i > 0 && t[i-1] == bidi.EN || j < len(t) && t[j] == bidi.EN) {
			for k := i; k < j; k++ {
				t[k] = bidi.EN
			}
		}
		i = j + 1
	}
	strong = sos
	out := make([]bool, len(p.classes))
	for i := range t { // W6 leaves no number; W7
		switch t[i] {
		case bidi.L, bidi.R:
			strong = t[i]
		case bidi.EN:
			out[idx[i]] = strong != bidi.L
		case bidi.AN:
			out[idx[i]] = true
		}
	}
	return out
}

// RightToLeft reports whether the paragraph's direction is right to left.
func (p *Paragraph) RightToLeft() bool { return p.base == 1 }

// Line returns the characters start to end-1 as one line in visual order:
// runs reversed by level (rule L2) and brackets of right-to-left text
// mirrored (L4). A combining mark of right-to-left text ends up before
// its letter, where the Arabic and Hebrew fonts, drawn without OpenType
// positioning, put it on the letter that follows (rule L3 is not
// applied); PDF text extraction reads it back in its place too.
func (p *Paragraph) Line(start, end int) []rune {
	n := end - start
	levels := slices.Clone(p.levels[start:end])
	for i := n - 1; i >= 0 && (p.classes[start+i] == bidi.WS || p.classes[start+i] == bidi.BN); i-- {
		levels[i] = p.base // L1: trailing white space takes the paragraph level
	}
	order := make([]int, n)
	for i := range order {
		order[i] = start + i
	}
	high, lowOdd := uint8(0), uint8(255)
	for _, l := range levels {
		high = max(high, l)
		if l%2 == 1 {
			lowOdd = min(lowOdd, l)
		}
	}
	for level := high; level >= lowOdd && level > 0; level-- {
		for i := 0; i < n; {
			if levels[i] < level {
				i++
				continue
			}
			j := i
			for j < n && levels[j] >= level {
				j++
			}
			slices.Reverse(order[i:j])
			slices.Reverse(levels[i:j])
			i = j
		}
	}
	out := make([]rune, n)
	for i, k := range order {
		r := p.text[k]
		if p.levels[k]%2 == 1 {
			if m, ok := mirrors[r]; ok {
				r = m
			}
		}
		out[i] = r
	}
	return out
}

// mirrors pairs the brackets names and company names use with their mirror
// image (Bidi_Mirroring_Glyph), for rule L4.
var mirrors = map[rune]rune{
	'(': ')', ')': '(', '[': ']', ']': '[', '{': '}', '}': '{', '<': '>', '>': '<',
	'«': '»', '»': '«', '‹': '›', '›': '‹',
}
