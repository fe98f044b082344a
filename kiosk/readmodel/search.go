package readmodel

import (
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold lowercases s and strips accents ("Ângela Ødegård" -> "angela odegard"),
// so staff can type names the way a keyboard without dead keys allows.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		if x, ok := foldExtra[r]; ok {
			b.WriteString(x)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foldExtra covers letters that carry their accent in the glyph itself, so
// NFD does not split them.
var foldExtra = map[rune]string{
	'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ı': "i",
}

// Words splits folded text into its words (runs of letters and digits).
func Words(folded string) []string {
	return strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// nameIndex finds attendees by the prefix of any word of their name. Words
// are kept sorted so a prefix is a binary search and a contiguous range;
// each word lists the attendees whose name has it.
type nameIndex struct {
	words    []string // distinct, sorted unless dirty
	postings map[string][]*Attendee
	dirty    bool // words appended unsorted during a bulk load
	bulk     bool
	// Removed attendees stay in postings, flagged gone, until they are a
	// fair share of them: removing from a long posting list one by one
	// would cost a scan of the list each time.
	live, garbage int
}

func newNameIndex() *nameIndex { return &nameIndex{postings: map[string][]*Attendee{}} }

func (x *nameIndex) add(a *Attendee) {
	x.live++
	for _, w := range a.words {
		list, known := x.postings[w]
		x.postings[w] = append(list, a)
		if known {
			continue
		}
		if x.bulk {
			x.words, x.dirty = append(x.words, w), true
			continue
		}
		x.sort()
		i := sort.SearchStrings(x.words, w)
		x.words = append(x.words, "")
		copy(x.words[i+1:], x.words[i:])
		x.words[i] = w
	}
}

func (x *nameIndex) remove(a *Attendee) {
	a.gone = true
	x.live--
	x.garbage++
	if x.garbage > 1024 && x.garbage > x.live/2 {
		for w, list := range x.postings {
			x.postings[w] = slices.DeleteFunc(list, func(p *Attendee) bool { return p.gone })
		}
		x.garbage = 0
	}
}

func (x *nameIndex) sort() {
	if x.dirty {
		sort.Strings(x.words)
		x.dirty = false
	}
}

// search returns up to limit attendees having, for every query word, a
// name word starting with it. It walks the range of the longest query word
// (the most selective) and filters by the others, stopping at limit.
func (x *nameIndex) search(terms []string, limit int, keep func(*Attendee) bool) []*Attendee {
	if len(terms) == 0 {
		return nil
	}
	x.sort()
	lead := terms[0]
	for _, t := range terms[1:] {
		if len(t) > len(lead) {
			lead = t
		}
	}
	var out []*Attendee
	seen := map[*Attendee]bool{}
	for i := sort.SearchStrings(x.words, lead); i < len(x.words) && strings.HasPrefix(x.words[i], lead); i++ {
		for _, a := range x.postings[x.words[i]] {
			if a.gone || seen[a] || !matchesAll(a.words, terms) || !keep(a) {
				continue
			}
			seen[a] = true
			out = append(out, a)
			if len(out) >= limit {
				return out
			}
		}
	}
	return out
}

// matchesAll reports whether each term is a prefix of some word; two terms
// may match the same word ("an" and "ann" both match "anna").
func matchesAll(words, terms []string) bool {
	for _, t := range terms {
		ok := false
		for _, w := range words {
			if strings.HasPrefix(w, t) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
