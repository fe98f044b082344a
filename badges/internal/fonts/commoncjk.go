package fonts

import (
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// commonCJK returns tests for the CJK characters names mostly use: the
// level 1 hanzi of GB 2312 and level 1 kanji of JIS X 0208; and the Hangul
// syllables of KS X 1001, kana, CJK punctuation and full-width forms.
// Keeping each group in one piece means a typical CJK name loads one CJK
// subset, not one per character (each font a document loads costs gofpdf
// about 2 ms, and cutting a subset costs time in proportion to the piece).
func commonCJK() (han, kanaHangul func(rune) bool) {
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
	kanaHangul = func(r rune) bool {
		return set[r] || r >= 0x3000 && r <= 0x30FF || r >= 0xFF00 && r <= 0xFFEF
	}
	return han, kanaHangul
}
