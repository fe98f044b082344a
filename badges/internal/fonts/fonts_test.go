package fonts

import (
	"testing"

	"github.com/jung-kurt/gofpdf"
)

func TestEverySampleScriptHasAFont(t *testing.T) {
	s, err := Sans()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Zoë Ødegård-Łukasiewicz", "Αλέξανδρος Παπαδόπουλος", "Дмитрий Шостакович", "王小明", "Nguyễn Thị Minh Khai", "田中さくら"} {
		for _, r := range name {
			if _, ok := s.Lookup(r); !ok {
				t.Errorf("no font for %q in %q", r, name)
			}
		}
	}
}

func TestLatinGreekCyrillicComeFromOnePiece(t *testing.T) {
	s, _ := Sans()
	first, _ := s.Lookup('A')
	for _, r := range "ëØŁλДễ€–" {
		if p, _ := s.Lookup(r); p != first {
			t.Errorf("%q is in piece %v, not %s: a Latin name would load two fonts", r, p, first.Name)
		}
	}
}

func TestCommonHanziShareOnePiece(t *testing.T) {
	s, _ := Sans()
	first, _ := s.Lookup('王')
	for _, r := range "小明李静张伟陈美玲田中太郎" {
		if p, _ := s.Lookup(r); p != first {
			t.Errorf("%q is not in the common hanzi piece", r)
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
