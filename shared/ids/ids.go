// Package ids issues the identifiers the system hands out: time-ordered
// UUIDv7 for events and messages, and short access codes people read aloud.
package ids

import (
	"crypto/rand"

	"github.com/google/uuid"
)

// New returns a fresh UUIDv7. Time-ordered ids keep the event table's unique
// index append-mostly, which matters for insert throughput.
func New() uuid.UUID {
	// NewV7 fails only when crypto/rand does, which since Go 1.24 aborts
	// the process rather than returning, so Must never fires.
	return uuid.Must(uuid.NewV7())
}

// accessCodeAlphabet leaves out 0/O, 1/I/L and U so a code survives being
// read aloud at a busy registration desk.
const accessCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// AccessCodeLength is long enough that guessing is hopeless under the rate
// limit (30^8 ≈ 6.6e11) and short enough to type.
const AccessCodeLength = 8

// NewAccessCode returns a random human-typable code such as "K7QM-3XPD".
func NewAccessCode() string {
	var buf [AccessCodeLength]byte
	// crypto/rand.Read never returns an error since Go 1.24: it aborts the
	// process instead, because nothing random could be trusted afterwards.
	_, _ = rand.Read(buf[:])
	out := make([]byte, 0, AccessCodeLength+1)
	for i, b := range buf {
		if i == AccessCodeLength/2 {
			out = append(out, '-')
		}
		// 256 % 30 leaves a slight bias toward the first 16 symbols; that
		// costs well under a bit of entropy and keeps the code simple.
		out = append(out, accessCodeAlphabet[int(b)%len(accessCodeAlphabet)])
	}
	return string(out)
}
