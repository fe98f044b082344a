package fonts

import (
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// commonCJK returns tests for the CJK characters names mostly use: the
// level 1 hanzi of GB 2312 and level 1 kanji of JIS X 0208; kana, CJK
// punctuation and full-width forms; and the 2,350 Hangul syllables of
// KS X 1001 with the Hangul compatibility jamo. Keeping each group in one
// piece means a typical CJK name loads one CJK subset, not one per
// character.
func commonCJK() (han, kana, hangul func(rune) bool) {
	set := map[rune]bool{}
	// EUC rows of each standard's common level: lead bytes [from, to],
	// trail bytes 0xA1..0xFE.
	for _, t := range []struct {
		enc      encoding.Encoding
		from, to byte
	}{
		{simplifiedchinese.GBK, 0xB0, 0xD7},
		{japanese.EUCJP, 0xB0, 0xCF},
		{korean.EUCKR, 0xB0, 0xC8},
	} {
		dec := t.enc.NewDecoder()
		for lead := int(t.from); lead <= int(t.to); lead++ {
			for trail := 0xA1; trail <= 0xFE; trail++ {
				out, err := dec.Bytes([]byte{byte(lead), byte(trail)})
				if err != nil {
					continue
				}
				for _, r := range string(out) {
					if r >= 0x2E80 {
						set[r] = true
					}
				}
			}
		}
	}
	han = func(r rune) bool { return set[r] && r >= 0x3400 && r < 0xA000 }
	kana = func(r rune) bool {
		return r >= 0x3000 && r <= 0x30FF || r >= 0xFF00 && r <= 0xFFEF
	}
	hangul = func(r rune) bool {
		return set[r] && r >= 0xAC00 && r <= 0xD7A3 || r >= 0x3130 && r <= 0x318F
	}
	return han, kana, hangul
}
