// Package fonts embeds the badge fonts and cuts them into subsets that
// gofpdf loads quickly.
//
// Each script prints in a font made for it, all TrueType glyf fonts (which
// gofpdf requires) from Debian's font packages, with their licences beside
// them:
//
//   - DejaVu Sans (fonts-dejavu-core; Bitstream Vera licence,
//     LICENSE-DejaVu.txt): Latin, Greek, Cyrillic, Hebrew and the rest it
//     covers, except Arabic and N'Ko.
//   - Noto Sans Arabic (fonts-noto-core; OFL-1.1,
//     LICENSE-NotoSansArabic-OFL-1.1.txt): the Arabic script, with the
//     presentation forms that package badges/internal/arabic joins letters
//     into mapped in its cmap.
//   - NanumSquare Regular (fonts-nanum; OFL-1.1, LICENSE-Nanum-OFL-1.1.txt):
//     Hangul, all 11,172 syllables.
//   - Droid Sans Fallback (fonts-droid-fallback; Apache-2.0,
//     LICENSE-DroidSansFallback-Apache-2.0.txt and
//     NOTICE-DroidSansFallback.txt): Han and kana.
//   - the few kana Droid lacks (small ka and ke, ヷ-ヺ, the Ainu small
//     katakana), cut from BIZ UDPGothic (fonts-morisawa-bizud-gothic;
//     OFL-1.1, LICENSE-BIZUDPGothic-OFL-1.1.txt) by cutkana.go.
//
// gofpdf parses a whole TrueType file for every document, which costs
// milliseconds for DejaVu and tens of milliseconds for the 4 MB CJK font.
// So each font is split, once per process and lazily, into pieces of at
// most a few thousand glyphs (a Piece); a document then loads, per piece it
// needs, a subset holding only the characters it prints (Piece.Subset),
// which takes well under a millisecond.
package fonts

import (
	"embed"
	"fmt"
	"slices"
	"sync"
	"unicode"

	"github.com/jung-kurt/gofpdf"
)

//go:embed DejaVuSans.ttf NotoSansArabic-Regular.ttf NanumSquareR.ttf DroidSansFallbackFull.ttf KanaSupplement-BIZUDPGothic.ttf
var files embed.FS

const pieceSize = 2048

// Piece is a part of one embedded font: a set of characters and, once
// first used, a TrueType font holding just their glyphs.
type Piece struct {
	// Name is the unique gofpdf font family name for this piece.
	Name  string
	src   []byte
	runes []rune
	once  sync.Once
	data  []byte
}

// Subset returns a TrueType font holding the glyphs of runes (all of which
// must belong to this piece), small enough for gofpdf to parse in well under
// a millisecond. It is safe for concurrent use.
func (p *Piece) Subset(runes []rune) (font []byte, err error) {
	defer func() {
		// gofpdf's font cutter panics on fonts it cannot read.
		if r := recover(); r != nil {
			err = fmt.Errorf("cut font %s: %v", p.Name, r)
		}
	}()
	p.once.Do(func() {
		// Pieces of one font share its file's bytes, and the cutter
		// writes into its input (see below): each cut gets its own copy.
		p.data = gofpdf.UTF8CutFont(slices.Clip(slices.Clone(p.src)), string(p.runes))
		p.src = nil
	})
	if len(p.data) == 0 {
		return nil, fmt.Errorf("cut font %s: no data", p.Name)
	}
	// UTF8CutFont pads tables by appending to sub-slices of its input, which
	// writes into the input's backing array: each call needs its own copy,
	// or concurrent renders corrupt each other's fonts.
	return gofpdf.UTF8CutFont(slices.Clip(slices.Clone(p.data)), string(runes)), nil
}

// Stack is an ordered list of fonts: each character prints in the first
// font that has a glyph for it.
type Stack struct {
	pieces []*Piece
	byRune map[rune]*Piece
}

// Lookup returns the piece that prints r, or false when no embedded font
// has a glyph for r.
func (s *Stack) Lookup(r rune) (*Piece, bool) {
	p, ok := s.byRune[r]
	return p, ok
}

var (
	loadOnce sync.Once
	sans     *Stack
	errLoad  error
	// dejaVuCommon are the DejaVu characters most names print (Latin,
	// Greek, Cyrillic, Hebrew, punctuation), kept in one piece.
	dejaVuCommon = [][2]rune{{0x20, 0x52F}, {0x0590, 0x05FF}, {0x1E00, 0x1FFF}, {0x2000, 0x20CF}, {0x2100, 0x215F}}
	// arabicBlocks hold the Arabic script with its marks, digits and
	// punctuation (which Unicode puts in the Common and Inherited scripts):
	// a word's letters and marks must come from one font to fit together.
	arabicBlocks = [][2]rune{{0x0600, 0x06FF}, {0x0750, 0x077F}, {0x0870, 0x08FF}, {0xFB50, 0xFDFF}, {0xFE70, 0xFEFF}}
)

// Sans returns the badge font stack (see the package documentation for
// which font prints what). The first call reads the fonts' character maps.
func Sans() (*Stack, error) {
	loadOnce.Do(load)
	return sans, errLoad
}

// face is one embedded font and the characters the stack takes from it.
type face struct {
	prefix, file string
	// serves, when set, limits the font to these characters, so that a
	// script prints in the font made for it and not in an earlier one
	// that also has it.
	serves func(rune) bool
	// common groups characters that usually print together: each group
	// is one piece, so that a name loads one subset, not one per character
	// (each font a document loads costs gofpdf about 2 ms, and cutting a
	// subset costs time in proportion to the piece).
	common []func(rune) bool
}

func load() {
	han, kana, hangul := commonCJK()
	arabic := func(r rune) bool { return inRanges(r, arabicBlocks) }
	faces := []face{
		// N'Ko letters join like Arabic ones but have no presentation
		// forms to join them with: printed from DejaVu, unjoined, a name
		// would be garbled, so the stack leaves N'Ko out.
		{prefix: "dvr", file: "DejaVuSans.ttf",
			serves: func(r rune) bool { return !arabic(r) && !unicode.Is(unicode.Nko, r) },
			common: []func(rune) bool{func(r rune) bool { return inRanges(r, dejaVuCommon) }}},
		{prefix: "ara", file: "NotoSansArabic-Regular.ttf", serves: arabic},
		{prefix: "kor", file: "NanumSquareR.ttf",
			serves: func(r rune) bool { return unicode.Is(unicode.Hangul, r) },
			common: []func(rune) bool{hangul}},
		{prefix: "cjk", file: "DroidSansFallbackFull.ttf", common: []func(rune) bool{han, kana}},
		{prefix: "kana", file: "KanaSupplement-BIZUDPGothic.ttf"},
	}
	var pieces []*Piece
	for _, f := range faces {
		p, err := f.split()
		if err != nil {
			errLoad = err
			return
		}
		pieces = append(pieces, p...)
	}
	sans = newStack(pieces)
}

func newStack(pieces []*Piece) *Stack {
	s := &Stack{pieces: pieces, byRune: map[rune]*Piece{}}
	for _, p := range pieces {
		for _, r := range p.runes {
			if _, seen := s.byRune[r]; !seen {
				s.byRune[r] = p
			}
		}
	}
	return s
}

// split divides the font's characters into pieces: first one piece for
// each group of common characters, then the rest in runs of pieceSize.
func (f face) split() ([]*Piece, error) {
	src, err := files.ReadFile(f.file)
	if err != nil {
		return nil, fmt.Errorf("read embedded font %s: %w", f.file, err)
	}
	all, err := coverage(src)
	if err != nil {
		return nil, fmt.Errorf("read character map of %s: %w", f.file, err)
	}
	slices.Sort(all)
	groups := make([][]rune, len(f.common))
	var rest []rune
next:
	for _, r := range all {
		if f.serves != nil && !f.serves(r) {
			continue
		}
		for i, in := range f.common {
			if in(r) {
				groups[i] = append(groups[i], r)
				continue next
			}
		}
		rest = append(rest, r)
	}
	for len(rest) > 0 {
		n := min(pieceSize, len(rest))
		groups = append(groups, rest[:n])
		rest = rest[n:]
	}
	pieces := make([]*Piece, 0, len(groups))
	for _, g := range groups {
		if len(g) > 0 {
			pieces = append(pieces, &Piece{Name: fmt.Sprintf("%s%d", f.prefix, len(pieces)), src: src, runes: g})
		}
	}
	return pieces, nil
}

func inRanges(r rune, ranges [][2]rune) bool {
	for _, rg := range ranges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}
