package conferences

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"conference/shared/contact"
)

// Organizer is a tenant: an account that owns conferences. Passwords and
// sessions belong to the web layer; this context only knows API tokens.
type Organizer struct {
	ID          uuid.UUID
	Email       string
	DisplayName string
	CreatedAt   time.Time
}

// NewOrganizer is the input that creates an organizer account.
type NewOrganizer struct {
	Email       string
	DisplayName string
}

// Normalize trims the fields and lower-cases the email, so lookups and the
// uniqueness check do not depend on how it was typed.
func (n NewOrganizer) Normalize() NewOrganizer {
	return NewOrganizer{
		Email:       strings.ToLower(strings.TrimSpace(n.Email)),
		DisplayName: strings.TrimSpace(n.DisplayName),
	}
}

// Validate checks a normalized NewOrganizer and returns every problem
// (one *ValidationError per field at fault, joined).
func (n NewOrganizer) Validate() error {
	var errs []error
	if err := validateEmail("email", n.Email, true); err != nil {
		errs = append(errs, err)
	}
	switch {
	case n.DisplayName == "":
		errs = append(errs, invalid("display_name", "is required"))
	case utf8.RuneCountInString(n.DisplayName) > 100:
		errs = append(errs, invalid("display_name", "must be at most 100 characters"))
	}
	return errors.Join(errs...)
}

// validateEmail applies the one email rule of the system
// (contact.ParseEmail) to field.
func validateEmail(field, email string, required bool) error {
	if email == "" && !required {
		return nil
	}
	var ee *contact.EmailError
	if _, err := contact.ParseEmail(email); errors.As(err, &ee) {
		return invalid(field, "%s", ee.Reason)
	}
	return nil
}

// apiTokenBytes is the entropy of an API token: 256 bits, far beyond guessing.
const apiTokenBytes = 32

// NewAPIToken returns a fresh random API token, shown to the organizer once,
// and the hash that is the only thing stored.
func NewAPIToken() (token string, hash []byte) {
	var buf [apiTokenBytes]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(buf[:])
	token = base64.RawURLEncoding.EncodeToString(buf[:])
	return token, HashAPIToken(token)
}

// HashAPIToken is the SHA-256 of a token. A fast hash is enough because the
// token carries 256 random bits; there is nothing to brute-force.
func HashAPIToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// WellFormedAPIToken reports whether token could have come from NewAPIToken,
// so garbage is refused without touching storage.
func WellFormedAPIToken(token string) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(b) == apiTokenBytes
}
