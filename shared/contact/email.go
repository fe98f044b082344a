// Package contact holds the one rule for the email addresses people give
// to be reached by: registrants, attendees, walk-up buyers, organizers and
// a conference's contact. The hub's pages, its JSON API, the kiosk and the
// domain aggregates all ask ParseEmail, so an address is accepted or
// refused the same way wherever it is typed.
//
// The rule is what delivery on the public internet needs, checked by shape
// only (delivery itself is the real test):
//
//   - a bare RFC 5322 address as net/mail parses it: no display name, no
//     angle brackets, no comments; quoted local parts and UTF-8 (RFC 6532)
//     are fine;
//   - at most 254 characters in all (RFC 5321's path limit less the angle
//     brackets) and 64 before the @;
//   - after the @, a domain name of at least two labels, each 1 to 63
//     letters, digits or inner hyphens, ending in a label that is not all
//     digits: no IP literals, no bare host names.
//
// The last point is why "ana@example" is refused: a dotless domain is
// valid syntax on a private network, but ICANN does not allow dotless
// names on the public internet (SAC053, 2013), so such an address is a
// typo ("example.com" with the ".com" forgotten) far more often than a
// mailbox anyone can deliver to.
package contact

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of an address, from RFC 5321.
const (
	MaxEmailLength = 254
	maxLocalLength = 64
	maxLabelLength = 63
)

// ErrInvalidEmail is matched (errors.Is) by every *EmailError.
var ErrInvalidEmail = errors.New("invalid email address")

// EmailError says why an address was refused. Reason reads after the
// field's name: "Email " + Reason + ".".
type EmailError struct {
	Reason string
}

func (e *EmailError) Error() string { return "email " + e.Reason }

// Is makes errors.Is(err, ErrInvalidEmail) true.
func (e *EmailError) Is(target error) bool { return target == ErrInvalidEmail }

func refuse(reason string) error { return &EmailError{Reason: reason} }

// Reasons, shared so tests and callers can recognise them.
const (
	reasonEmpty  = "is required"
	reasonLong   = "must be at most 254 characters"
	reasonShape  = "must be an address such as ana@example.com"
	reasonLocal  = "has more than 64 characters before the @"
	reasonDomain = "must end in a domain name such as example.com after the @"
)

// ParseEmail returns the address with surrounding spaces removed, or an
// *EmailError saying why it cannot be one. Case is kept as typed: the
// part before the @ may be case-sensitive, and lookups compare addresses
// case-insensitively anyway.
func ParseEmail(s string) (string, error) {
	email := strings.TrimSpace(s)
	switch {
	case email == "":
		return "", refuse(reasonEmpty)
	case !utf8.ValidString(email):
		return "", refuse(reasonShape)
	case len(email) > MaxEmailLength:
		return "", refuse(reasonLong)
	}
	// The address must come back exactly as typed (String quotes a local
	// part that needs it): a display name, brackets or a comment would not.
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.String() != "<"+email+">" {
		return "", refuse(reasonShape)
	}
	at := strings.LastIndexByte(email, '@')
	if at > maxLocalLength {
		return "", refuse(reasonLocal)
	}
	if !validDomain(email[at+1:]) {
		return "", refuse(reasonDomain)
	}
	return email, nil
}

// ParseOptionalEmail is ParseEmail for a field that may be left empty:
// blank input is "" and no error.
func ParseOptionalEmail(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return ParseEmail(s)
}

// validDomain reports a public-internet host name: two labels or more,
// each of letters (any script), digits and inner hyphens, the last one
// not all digits (which would make it an IP address).
func validDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || utf8.RuneCountInString(l) > maxLabelLength || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.IndexFunc(tld, unicode.IsLetter) >= 0
}
