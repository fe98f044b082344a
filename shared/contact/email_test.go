package contact_test

import (
	"errors"
	"strings"
	"testing"

	"conference/shared/contact"
)

func TestParseEmailAcceptsAddressesMailCanReach(t *testing.T) {
	for _, in := range []string{
		"ana@example.com",
		"  ana@example.com  ",
		"Ana.Maria+conf@mail.example.co.uk",
		`"ana maria"@example.org`,
		"josé@correo.example.es",
		"ana@münchen.de",
		"a@b-c.io",
		"x@123.example",
		strings.Repeat("a", 64) + "@example.com",
	} {
		got, err := contact.ParseEmail(in)
		if err != nil {
			t.Errorf("ParseEmail(%q): %v, want accepted", in, err)
			continue
		}
		if got != strings.TrimSpace(in) {
			t.Errorf("ParseEmail(%q) = %q, want the trimmed input", in, got)
		}
	}
}

func TestParseEmailRefusesWhatCannotBeDelivered(t *testing.T) {
	for _, tc := range []struct{ in, reason string }{
		{"", "is required"},
		{"   ", "is required"},
		{"ana", "such as ana@example.com"},
		{"ana@", "such as ana@example.com"},
		{"@example.com", "such as ana@example.com"},
		{"Ana <ana@example.com>", "such as ana@example.com"},
		{"ana@example.com (Ana)", "such as ana@example.com"},
		{"ana@@example.com", "such as ana@example.com"},
		{"ana @example.com", "such as ana@example.com"},
		{"ana@example", "domain name"},    // no dot: the hub used to take it
		{"walkup@example", "domain name"}, // the kiosk always refused it
		{"ana@example.", "such as ana@example.com"},
		{"ana@.example.com", "such as ana@example.com"},
		{"ana@exa..mple.com", "such as ana@example.com"},
		{"ana@-example.com", "domain name"},
		{"ana@example-.com", "domain name"},
		{"ana@exa_mple.com", "domain name"},
		{"ana@192.168.0.1", "domain name"},
		{"ana@[192.168.0.1]", "domain name"},
		{strings.Repeat("a", 65) + "@example.com", "64 characters"},
		{"ana@" + strings.Repeat("a", 64) + ".com", "domain name"},
		{"ana@" + strings.Repeat("b", 250) + ".com", "254"},
		{"ana\xff@example.com", "such as ana@example.com"},
	} {
		_, err := contact.ParseEmail(tc.in)
		var ee *contact.EmailError
		if !errors.As(err, &ee) || !errors.Is(err, contact.ErrInvalidEmail) {
			t.Errorf("ParseEmail(%q) = %v, want an *EmailError", tc.in, err)
			continue
		}
		if !strings.Contains(ee.Reason, tc.reason) {
			t.Errorf("ParseEmail(%q): reason %q, want it to mention %q", tc.in, ee.Reason, tc.reason)
		}
	}
}

func TestParseOptionalEmailTakesBlankAsNone(t *testing.T) {
	if got, err := contact.ParseOptionalEmail("  "); got != "" || err != nil {
		t.Fatalf(`ParseOptionalEmail("  ") = %q, %v; want "", nil`, got, err)
	}
	if _, err := contact.ParseOptionalEmail("walkup@example"); !errors.Is(err, contact.ErrInvalidEmail) {
		t.Fatalf("ParseOptionalEmail(walkup@example) = %v, want refused like ParseEmail", err)
	}
}
