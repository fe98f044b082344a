package readmodel

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFoldStripsAccentsAndCase(t *testing.T) {
	cases := map[string]string{
		"Ângela Ødegård": "angela odegard",
		"Łukasz Straße":  "lukasz strasse",
		"ZOË":            "zoe",
		"Ζωή":            "ζωη",
		"Дмитрий":        "дмитрии", // й folds like и: typed either way, it matches
		"王小明":            "王小明",
	}
	for in, want := range cases {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameIndexMatchesPrefixesOfAnyWordAndKeepsSortedAcrossAdds(t *testing.T) {
	x := newNameIndex()
	people := []*Attendee{{Name: "Ana Silva"}, {Name: "Anabela Costa"}, {Name: "Bruno Ana-Sousa"}, {Name: "Zé Costa"}}
	for i, p := range people {
		p.words = Words(Fold(p.Name))
		if i == 2 {
			x.bulk = true // mixed bulk and incremental adds
		}
		x.add(p)
	}
	x.bulk = false
	count := func(q string) int { return len(x.search(Words(Fold(q)), 10, func(*Attendee) bool { return true })) }
	for q, want := range map[string]int{"ana": 3, "anab": 1, "costa": 2, "co ze": 1, "sous": 1, "x": 0, "ana costa": 1} {
		if got := count(q); got != want {
			t.Errorf("search %q: %d results, want %d", q, got, want)
		}
	}
	x.remove(people[0])
	if got := count("silva"); got != 0 {
		t.Errorf("removed attendee still found")
	}
	if got := len(x.search([]string{"a"}, 1, func(*Attendee) bool { return true })); got != 1 {
		t.Errorf("limit ignored: %d", got)
	}
}

// FuzzFind feeds arbitrary staff input (typed or scanned) to the search:
// it must never panic and only return attendees matching every word.
func FuzzFind(f *testing.F) {
	for _, s := range []string{"ana", "ÂNGELA ø", "a@b.org", "K7QM-3XPD", "\xff\xfe", "  ", "co ze", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	m := New("k1", nil)
	for _, n := range []string{"Ana Silva", "Ângela Ødegård", "Zé Costa", "王小明"} {
		a := &Attendee{Name: n}
		a.Seat.Position = len(m.attendees)
		m.upsert(a)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, v := range m.Find([16]byte{}, q, 5) {
			if !utf8.ValidString(v.Name) || !matchesAll(Words(Fold(v.Name)), Words(Fold(q))) && normalizeCode(q) != normalizeCode(v.AccessCode) {
				t.Fatalf("%q found %q", q, v.Name)
			}
		}
	})
}
