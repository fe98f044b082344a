package conferences

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// APIToken is an organizer's credential for the JSON API as the organizer
// sees it: a name to recognise it by and when it was made, last used and
// revoked. The token itself is shown once, when created; only its hash is
// stored (HashAPIToken).
type APIToken struct {
	ID          uuid.UUID
	OrganizerID uuid.UUID
	Name        string
	CreatedAt   time.Time
	// LastUsedAt is when the token last authenticated a request, to
	// LastUsedResolution; zero if never.
	LastUsedAt time.Time
	// RevokedAt is when the organizer revoked the token; zero while it
	// is valid. A revoked token authenticates nothing.
	RevokedAt time.Time
}

// Revoked reports whether the token was revoked.
func (t APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// LastUsedResolution is how stale a token's LastUsedAt may be: the time is
// written at most once per this interval per token, so a busy API client
// does not turn every request into a write.
const LastUsedResolution = time.Minute

// MaxAPITokenName bounds a token's name, in characters.
const MaxAPITokenName = 100

// NormalizeAPITokenName trims a token's name and checks it: 1 to
// MaxAPITokenName characters of valid text.
func NormalizeAPITokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalid("name", "is required")
	case !utf8.ValidString(name):
		return "", invalid("name", "must be text")
	case utf8.RuneCountInString(name) > MaxAPITokenName:
		return "", invalid("name", "must be at most %d characters", MaxAPITokenName)
	}
	return name, nil
}
