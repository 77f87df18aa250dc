package restore_test

import (
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/kumo-backup/kumo/backup/restore"
)

// A Japanese name is found however it was written on disk and however it
// is typed: NFC or NFD (macOS), katakana or hiragana, full- or half-width.
func TestSearchFindsJapaneseNamesEveryWay(t *testing.T) {
	nfd := norm.NFD.String("書類/ガイドブック.pdf") // as a Mac writes it: ガ is カ and a combining mark
	if nfd == "書類/ガイドブック.pdf" {
		t.Fatal("the NFD form is the NFC one: the test would prove nothing")
	}
	v := &restore.View{Files: []restore.File{
		{Path: "写真/ファイル一覧.txt"},
		{Path: nfd},
		{Path: "Ｒｅｐｏｒｔ２０２６.doc"},
		{Path: "メモ/ﾊﾝｶｸ ﾒﾓ.txt"},
		{Path: "music/guide.mp3"},
		{Path: "書類/かいどぶっく.txt"},
	}}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"ファイル", []string{"写真/ファイル一覧.txt"}},
		{"ふぁいる", []string{"写真/ファイル一覧.txt"}},
		{"ﾌｧｲﾙ", []string{"写真/ファイル一覧.txt"}},
		{"ガイドブック", []string{nfd}},                  // NFC query, NFD name
		{norm.NFD.String("ガイドブック"), []string{nfd}}, // NFD query
		{"がいどぶっく", []string{nfd}},                  // hiragana for katakana
		{"ｶﾞｲﾄﾞ", []string{nfd}},                   // half-width with its voiced marks
		{"report2026", []string{"Ｒｅｐｏｒｔ２０２６.doc"}}, // full-width letters and digits
		{"ＲＥＰＯＲＴ", []string{"Ｒｅｐｏｒｔ２０２６.doc"}},
		{"はんかく めも", []string{"メモ/ﾊﾝｶｸ ﾒﾓ.txt"}}, // half-width katakana on disk, two words
		{"ハンカク", []string{"メモ/ﾊﾝｶｸ ﾒﾓ.txt"}},
		{"かいど", []string{"書類/かいどぶっく.txt"}}, // かいど is not がいど
		{"guide", []string{"music/guide.mp3"}},
	} {
		got := v.Search(c.query, 0)
		var paths []string
		for _, f := range got {
			paths = append(paths, f.Path)
		}
		if len(paths) != len(c.want) || (len(paths) > 0 && paths[0] != c.want[0]) {
			t.Errorf("Search(%q) = %q, want %q", c.query, paths, c.want)
		}
	}
}
