package fonts

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// coverage returns the Basic Multilingual Plane runes a TrueType font maps
// to a real glyph, read from its Unicode format 4 cmap subtable: the one
// gofpdf's UTF-8 font support reads too, so the two agree on what prints.
func coverage(ttf []byte) ([]rune, error) {
	u16 := func(off int) (int, error) {
		if off < 0 || off+2 > len(ttf) {
			return 0, errors.New("truncated font")
		}
		return int(binary.BigEndian.Uint16(ttf[off:])), nil
	}
	numTables, err := u16(4)
	if err != nil {
		return nil, err
	}
	cmapOff := -1
	for i := 0; i < numTables; i++ {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errors.New("truncated table directory")
		}
		if string(ttf[rec:rec+4]) == "cmap" {
			cmapOff = int(binary.BigEndian.Uint32(ttf[rec+8:]))
		}
	}
	if cmapOff < 0 {
		return nil, errors.New("no cmap table")
	}
	n, err := u16(cmapOff + 2)
	if err != nil {
		return nil, err
	}
	sub := -1
	for i := 0; i < n; i++ {
		rec := cmapOff + 4 + 8*i
		platform, err1 := u16(rec)
		encoding, err2 := u16(rec + 2)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		off := cmapOff + int(binary.BigEndian.Uint32(ttf[rec+4:]))
		format, err := u16(off)
		if err != nil {
			return nil, err
		}
		if format == 4 && (platform == 3 && encoding == 1 || platform == 0) {
			sub = off
			break
		}
	}
	if sub < 0 {
		return nil, errors.New("no Unicode format 4 cmap subtable")
	}
	segX2, err := u16(sub + 6)
	if err != nil {
		return nil, err
	}
	ends := sub + 14
	starts := ends + segX2 + 2
	deltas := starts + segX2
	rangeOffs := deltas + segX2
	var runes []rune
	for s := 0; s < segX2/2; s++ {
		end, err1 := u16(ends + 2*s)
		start, err2 := u16(starts + 2*s)
		delta, err3 := u16(deltas + 2*s)
		ro, err4 := u16(rangeOffs + 2*s)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("cmap segment %d: %w", s, err)
		}
		for c := start; c <= end && c < 0xFFFF; c++ {
			g := 0
			if ro == 0 {
				g = (c + delta) & 0xFFFF
			} else {
				raw, err := u16(rangeOffs + 2*s + ro + 2*(c-start))
				if err != nil {
					return nil, fmt.Errorf("cmap glyph array: %w", err)
				}
				if raw != 0 {
					g = (raw + delta) & 0xFFFF
				}
			}
			if g != 0 {
				runes = append(runes, rune(c))
			}
		}
	}
	return runes, nil
}
