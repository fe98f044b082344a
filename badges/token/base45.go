package token

import (
	"fmt"
	"strings"
)

// base45Alphabet is the RFC 9285 alphabet: exactly the QR code alphanumeric
// character set, so a base45 string is stored in the QR's compact
// alphanumeric mode (5.5 bits a character) rather than byte mode.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Index = func() [256]int8 {
	var idx [256]int8
	for i := range idx {
		idx[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		idx[base45Alphabet[i]] = int8(i)
	}
	return idx
}()

// encodeBase45 encodes b as RFC 9285 base45: every two bytes become three
// characters, a trailing single byte becomes two.
func encodeBase45(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		c, n := n%45, n/45
		d, e := n%45, n/45
		sb.WriteByte(base45Alphabet[c])
		sb.WriteByte(base45Alphabet[d])
		sb.WriteByte(base45Alphabet[e])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	return sb.String()
}

// decodeBase45 decodes RFC 9285 base45. It rejects characters outside the
// alphabet, a dangling single character and chunks whose value does not fit
// (which RFC 9285 requires), so every accepted string has exactly one
// encoding.
func decodeBase45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("base45: length %d leaves a dangling character", len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		chunk := s[i:min(i+3, len(s))]
		n, mul := 0, 1
		for j := 0; j < len(chunk); j++ {
			v := base45Index[chunk[j]]
			if v < 0 {
				return nil, fmt.Errorf("base45: invalid character %q at %d", chunk[j], i+j)
			}
			n += int(v) * mul
			mul *= 45
		}
		if len(chunk) == 3 {
			if n > 0xFFFF {
				return nil, fmt.Errorf("base45: chunk at %d overflows two bytes", i)
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, fmt.Errorf("base45: final chunk at %d overflows one byte", i)
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
