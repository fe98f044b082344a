package ids

import (
	"strings"
	"testing"
)

func TestNewIsTimeOrdered(t *testing.T) {
	a, b := New(), New()
	if a.Version() != 7 {
		t.Fatalf("got version %d, want 7", a.Version())
	}
	if strings.Compare(a.String(), b.String()) >= 0 {
		t.Fatalf("got %s then %s, want increasing", a, b)
	}
}

func TestAccessCodeAvoidsLookalikeCharacters(t *testing.T) {
	for i := 0; i < 1000; i++ {
		code := NewAccessCode()
		if len(code) != AccessCodeLength+1 || code[AccessCodeLength/2] != '-' {
			t.Fatalf("got %q, want XXXX-XXXX", code)
		}
		if strings.ContainsAny(code, "01OIL") {
			t.Fatalf("got %q, contains an ambiguous character", code)
		}
	}
}
