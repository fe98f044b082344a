//go:build ignore

// cutkana writes KanaSupplement-BIZUDPGothic.ttf: the kana that Droid Sans
// Fallback lacks, cut from BIZ UDPGothic (Debian: fonts-morisawa-bizud-gothic),
// so that these few glyphs do not cost a 4.6 MB font in every binary.
//
//	apt-get install fonts-morisawa-bizud-gothic
//	go run cutkana.go [/usr/share/fonts/truetype/bizud-gothic/BIZUDPGothic-Regular.ttf]
package main

import (
	"fmt"
	"os"

	"github.com/jung-kurt/gofpdf"
)

// missing lists the kana of the Hiragana, Katakana and Katakana Phonetic
// Extensions blocks that Droid Sans Fallback has no glyph for;
// TestEveryKanaPrints checks that the two fonts together cover them all.
const missing = "\u3095\u3096\u309F\u30F7\u30F8\u30F9\u30FA\u30FF" +
	"\u31F0\u31F1\u31F2\u31F3\u31F4\u31F5\u31F6\u31F7\u31F8\u31F9\u31FA\u31FB\u31FC\u31FD\u31FE\u31FF"

func main() {
	src := "/usr/share/fonts/truetype/bizud-gothic/BIZUDPGothic-Regular.ttf"
	if len(os.Args) > 1 {
		src = os.Args[1]
	}
	if err := run(src, "KanaSupplement-BIZUDPGothic.ttf"); err != nil {
		fmt.Fprintln(os.Stderr, "cutkana:", err)
		os.Exit(1)
	}
}

func run(src, dst string) error {
	font, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	out := gofpdf.UTF8CutFont(font, missing)
	if len(out) == 0 {
		return fmt.Errorf("cut %s: no font data", src)
	}
	return os.WriteFile(dst, out, 0o644)
}
