package restore

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// fold is a name as search compares it: one normal form whatever system
// wrote it (macOS writes NFD, most others NFC), full-width letters and
// digits as ASCII and half-width katakana as full-width (NFKC), one case,
// and katakana as hiragana, so that ファイル, ふぁいる and ﾌｧｲﾙ find the same file.
func fold(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'ァ' && r <= 'ヶ', r == 'ヽ' || r == 'ヾ':
			return r - ('ァ' - 'ぁ')
		}
		return r
	}, s)
}
