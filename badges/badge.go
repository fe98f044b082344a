package badges

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// Limits on badge text, in characters (runes) after NFC normalisation.
const (
	MaxNameLen      = 80
	MaxTextLen      = 120
	MaxSeatTypeLen  = 60
	MaxSeatTypes    = 12
	MaxAccessCode   = 32
	MaxTokenLen     = 1000
	maxPrintedSeats = 4
)

// Sentinel errors callers branch on; test with errors.Is.
var (
	// ErrEmptyName means the attendee name is empty or only spaces.
	ErrEmptyName = errors.New("empty attendee name")
	// ErrTooLong means a text exceeds its limit (MaxNameLen and friends).
	ErrTooLong = errors.New("text too long")
	// ErrRightToLeft means a text contains right-to-left script (Arabic,
	// Hebrew, ...). The renderer cannot yet order and shape such text, and
	// refuses it rather than print it garbled.
	ErrRightToLeft = errors.New("right-to-left script is not supported")
	// ErrUnsupportedCharacter means no embedded font can print a character
	// (an emoji, a control character, a script without a font).
	ErrUnsupportedCharacter = errors.New("character cannot be printed")
	// ErrInvalidAccessCode means the access code is not printable ASCII,
	// which Code128 needs.
	ErrInvalidAccessCode = errors.New("access code must be printable ASCII")
	// ErrUnknownLayout means the style names a layout that is not registered.
	ErrUnknownLayout = errors.New("unknown layout")
	// ErrInvalidColour means a style colour is not #RGB or #RRGGBB.
	ErrInvalidColour = errors.New("invalid colour")
	// ErrInvalidLayout means a layout given to RegisterLayout does not fit
	// its page.
	ErrInvalidLayout = errors.New("invalid layout")
)

// Badge is what one attendee's badge shows.
type Badge struct {
	// Conference is the conference name printed in the header band.
	Conference string
	// Name is the attendee's name, printed large and shrunk to fit.
	Name string
	// Company and Role are optional.
	Company, Role string
	// SeatTypes lists the seat types held, e.g. workshops.
	SeatTypes []string
	// AccessCode, when set, is printed as a Code128 barcode.
	AccessCode string
	// Token, when set, is printed as a QR code (see badges/token).
	Token string
}

// BadgeError reports which badge of a list is invalid, and why.
type BadgeError struct {
	// Index is the badge's position in the list given to Render.
	Index int
	// Name is the attendee name as given.
	Name string
	// Field is the badge field at fault ("name", "company", ...).
	Field string
	// Err wraps one of the package's sentinel errors.
	Err error
}

func (e *BadgeError) Error() string {
	return fmt.Sprintf("badge %d (%q): %s: %v", e.Index+1, e.Name, e.Field, e.Err)
}

func (e *BadgeError) Unwrap() error { return e.Err }

// normalized returns a copy of b with every text in Unicode NFC (so "e" plus
// a combining accent prints as the precomposed "é") and surrounding spaces
// removed, or the first problem found.
func (b Badge) normalized(index int) (Badge, error) {
	fail := func(field string, err error) (Badge, error) {
		return Badge{}, &BadgeError{Index: index, Name: b.Name, Field: field, Err: err}
	}
	out := Badge{
		Conference: clean(b.Conference),
		Name:       clean(b.Name),
		Company:    clean(b.Company),
		Role:       clean(b.Role),
		AccessCode: strings.TrimSpace(b.AccessCode),
		Token:      strings.TrimSpace(b.Token),
	}
	if out.Name == "" {
		return fail("name", ErrEmptyName)
	}
	texts := []struct {
		field, text string
		limit       int
	}{
		{"name", out.Name, MaxNameLen},
		{"conference", out.Conference, MaxTextLen},
		{"company", out.Company, MaxTextLen},
		{"role", out.Role, MaxTextLen},
	}
	if len(b.SeatTypes) > MaxSeatTypes {
		return fail("seat types", fmt.Errorf("%w: %d seat types, limit %d", ErrTooLong, len(b.SeatTypes), MaxSeatTypes))
	}
	for _, s := range b.SeatTypes {
		if s = clean(s); s != "" {
			out.SeatTypes = append(out.SeatTypes, s)
			texts = append(texts, struct {
				field, text string
				limit       int
			}{"seat type", s, MaxSeatTypeLen})
		}
	}
	for _, t := range texts {
		if n := utf8.RuneCountInString(t.text); n > t.limit {
			return fail(t.field, fmt.Errorf("%w: %d characters, limit %d", ErrTooLong, n, t.limit))
		}
		if err := checkScript(t.text); err != nil {
			return fail(t.field, err)
		}
	}
	if len(out.AccessCode) > MaxAccessCode {
		return fail("access code", fmt.Errorf("%w: %d characters, limit %d", ErrTooLong, len(out.AccessCode), MaxAccessCode))
	}
	for _, r := range out.AccessCode {
		if r < 0x20 || r > 0x7E {
			return fail("access code", fmt.Errorf("%w: %q", ErrInvalidAccessCode, r))
		}
	}
	if len(out.Token) > MaxTokenLen {
		return fail("token", fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, len(out.Token), MaxTokenLen))
	}
	return out, nil
}

// clean normalises to NFC and folds runs of white space to one space.
func clean(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// checkScript refuses right-to-left text and characters that cannot print
// (controls, format characters, private use). Whether a font has a glyph
// is checked when fonts are chosen.
func checkScript(s string) error {
	for _, r := range s {
		if p, _ := bidi.LookupRune(r); p.Class() == bidi.R || p.Class() == bidi.AL {
			return fmt.Errorf("%w: %q (U+%04X)", ErrRightToLeft, r, r)
		}
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
			return fmt.Errorf("%w: U+%04X", ErrUnsupportedCharacter, r)
		}
	}
	return nil
}
