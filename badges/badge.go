package badges

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"conference/badges/internal/arabic"
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
	// ErrUnsupportedCharacter means a character cannot print: no embedded
	// font has it (the error names its script: Tibetan, Ethiopic, emoji in
	// the Common script, ...), it is a control character, or it is an
	// Arabic-script letter with no joined forms to print it in.
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

// checkScript refuses characters that cannot print: controls, format
// characters other than the joiners Persian spelling uses, private use,
// and Arabic-script letters the renderer cannot join. Whether a font has a
// glyph is checked when fonts are chosen.
func checkScript(s string) error {
	for _, r := range s {
		if r == utf8.RuneError || r != zwnj && r != zwj && unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
			return fmt.Errorf("%w: U+%04X", ErrUnsupportedCharacter, r)
		}
		if !arabic.Joinable(r) {
			return fmt.Errorf("%w: the Arabic letter %q (U+%04X) has no joined forms to print it with", ErrUnsupportedCharacter, r, r)
		}
	}
	return nil
}

// ZERO WIDTH NON-JOINER and JOINER are part of Persian spelling (as in
// "حسن‌زاده"): they keep or break the join between two letters.
const (
	zwnj = '\u200C'
	zwj  = '\u200D'
)

// unprintable is the error for a character no embedded font has, naming
// its Unicode script.
func unprintable(r rune) error {
	script := scriptOf(r)
	if script == "Common" || script == "Inherited" {
		return fmt.Errorf("%w: no embedded font has %q (U+%04X), a symbol of the Unicode script %s", ErrUnsupportedCharacter, r, r, script)
	}
	return fmt.Errorf("%w: no embedded font covers the %s script (%q, U+%04X)", ErrUnsupportedCharacter, script, r, r)
}

// scriptOf returns the name of r's Unicode script, with spaces for
// underscores ("Canadian Aboriginal").
func scriptOf(r rune) string {
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return strings.ReplaceAll(name, "_", " ")
		}
	}
	return "Unknown"
}
