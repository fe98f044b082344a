package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"conference/badges"
)

// attendee is one CSV row.
type attendee struct {
	line   int
	badge  badges.Badge
	email  string
	seatID string
}

var requiredColumns = []string{"name", "company", "role", "email", "seat_types"}

// readAttendees reads the attendee CSV: a header row naming at least the
// required columns (any order, any case), optionally seat_id and
// access_code, then one row per attendee. seat_types holds several seat
// types separated by ';' or '|'.
func readAttendees(r io.Reader) ([]attendee, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty file: want a header row with columns " + strings.Join(requiredColumns, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		if _, dup := col[h]; dup && h != "" {
			return nil, fmt.Errorf("header: column %q appears twice", h)
		}
		col[h] = i
	}
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("header: missing column %q (want %s)", c, strings.Join(requiredColumns, ", "))
		}
	}
	var out []attendee
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // blank line
		}
		a := attendee{
			line:  line,
			email: get("email"),
			badge: badges.Badge{
				Name:       get("name"),
				Company:    get("company"),
				Role:       get("role"),
				SeatTypes:  splitSeatTypes(get("seat_types")),
				AccessCode: get("access_code"),
			},
			seatID: get("seat_id"),
		}
		if a.badge.Name == "" {
			return nil, fmt.Errorf("line %d: %w", line, badges.ErrEmptyName)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, errors.New("no attendees after the header row")
	}
	return out, nil
}

func splitSeatTypes(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
