// Package fonts embeds the badge fonts and cuts them into subsets that
// gofpdf loads quickly.
//
// DejaVu Sans (Bitstream Vera licence, see LICENSE-DejaVu.txt) covers Latin with diacritics, Greek and Cyrillic.
// Droid Sans Fallback (Apache-2.0, see LICENSE-DroidSansFallback-Apache-2.0.txt
// and NOTICE-DroidSansFallback.txt) covers CJK. Both are TrueType glyf fonts,
// which gofpdf requires.
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

	"github.com/jung-kurt/gofpdf"
)

//go:embed DejaVuSans.ttf DroidSansFallbackFull.ttf
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
		p.data = gofpdf.UTF8CutFont(p.src, string(p.runes))
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
	loadOnce     sync.Once
	sans         *Stack
	errLoad      error
	commonRanges = [][2]rune{{0x20, 0x52F}, {0x1E00, 0x1FFF}, {0x2000, 0x20CF}, {0x2100, 0x215F}}
)

// Sans returns the badge font stack: DejaVu Sans, then Droid Sans
// Fallback for CJK. The first call reads the fonts' character maps.
func Sans() (*Stack, error) {
	loadOnce.Do(load)
	return sans, errLoad
}

func load() {
	han, kanaHangul := commonCJK()
	cjk, err := split("cjk", "DroidSansFallbackFull.ttf", han, kanaHangul)
	if err != nil {
		errLoad = err
		return
	}
	r, err := split("dvr", "DejaVuSans.ttf", func(r rune) bool { return inRanges(r, commonRanges) })
	if err != nil {
		errLoad = err
		return
	}
	sans = newStack(append(r, cjk...))
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

// split divides a font's characters into pieces: first one piece for each
// group of common characters, then the rest in runs of pieceSize.
func split(prefix, file string, common ...func(rune) bool) ([]*Piece, error) {
	src, err := files.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read embedded font %s: %w", file, err)
	}
	all, err := coverage(src)
	if err != nil {
		return nil, fmt.Errorf("read character map of %s: %w", file, err)
	}
	slices.Sort(all)
	groups := make([][]rune, len(common))
	var rest []rune
next:
	for _, r := range all {
		for i, in := range common {
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
	pieces := make([]*Piece, len(groups))
	for i, g := range groups {
		pieces[i] = &Piece{Name: fmt.Sprintf("%s%d", prefix, i), src: src, runes: g}
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
