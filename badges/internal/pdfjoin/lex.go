package pdfjoin

import (
	"bytes"
	"fmt"
	"strconv"
)

// token is one lexical item of the non-stream part of a PDF object.
type token struct {
	kind       kind
	start, end int // span in the chunk
}

type kind int

const (
	tInt     kind = iota // an unsigned integer
	tNumber              // any other number
	tName                // /Name
	tString              // (literal) or <hex>
	tOpen                // << or [ or {
	tClose               // >> or ] or }
	tKeyword             // R, obj, endobj, stream, true, ...
)

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

// lexer reads tokens from a chunk, skipping white space and comments.
type lexer struct {
	b   []byte
	pos int
}

func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, l.pos, fmt.Sprintf(format, args...))
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

// next returns the next token; ok is false at the end of the chunk.
func (l *lexer) next() (t token, ok bool, err error) {
	l.skipSpace()
	if l.pos >= len(l.b) {
		return token{}, false, nil
	}
	start := l.pos
	b := l.b
	c := b[l.pos]
	switch {
	case c == '<' && l.pos+1 < len(b) && b[l.pos+1] == '<':
		l.pos += 2
		return token{tOpen, start, l.pos}, true, nil
	case c == '>' && l.pos+1 < len(b) && b[l.pos+1] == '>':
		l.pos += 2
		return token{tClose, start, l.pos}, true, nil
	case c == '[' || c == '{':
		l.pos++
		return token{tOpen, start, l.pos}, true, nil
	case c == ']' || c == '}':
		l.pos++
		return token{tClose, start, l.pos}, true, nil
	case c == '<':
		end := bytes.IndexByte(b[l.pos:], '>')
		if end < 0 {
			return token{}, false, l.errorf("unterminated hex string")
		}
		l.pos += end + 1
		return token{tString, start, l.pos}, true, nil
	case c == '(':
		depth := 0
		for l.pos < len(b) {
			switch b[l.pos] {
			case '\\':
				l.pos++
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					l.pos++
					return token{tString, start, l.pos}, true, nil
				}
			}
			l.pos++
		}
		l.pos = start
		return token{}, false, l.errorf("unterminated string")
	case c == '/':
		l.pos++
		for l.pos < len(b) && !isSpace(b[l.pos]) && !isDelim(b[l.pos]) {
			l.pos++
		}
		return token{tName, start, l.pos}, true, nil
	case c == ')' || c == '>':
		return token{}, false, l.errorf("unexpected %q", c)
	}
	for l.pos < len(b) && !isSpace(b[l.pos]) && !isDelim(b[l.pos]) {
		l.pos++
	}
	word := b[start:l.pos]
	k := tKeyword
	if isUint(word) {
		k = tInt
	} else if _, err := strconv.ParseFloat(string(word), 64); err == nil {
		k = tNumber
	}
	return token{k, start, l.pos}, true, nil
}

func isUint(w []byte) bool {
	if len(w) == 0 || len(w) > 10 {
		return false
	}
	for _, c := range w {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (l *lexer) text(t token) string { return string(l.b[t.start:t.end]) }

func (l *lexer) int(t token) int {
	n, _ := strconv.Atoi(l.text(t))
	return n
}
