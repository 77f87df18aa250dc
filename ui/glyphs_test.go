package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// drawn is how text looks once painted in a window: the pixels, not the
// widget tree.
func drawn(t *testing.T, s string) []byte {
	t.Helper()
	text := canvas.NewText(s, color.White)
	text.TextSize = 32
	w := test.NewTempWindow(t, text)
	w.Resize(fyne.NewSize(80, 60))
	var img image.Image
	onUIWait(func() { img = w.Canvas().Capture() })
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Japanese file names are drawn with real glyphs, not boxes: each
// character paints differently, and none like a character no font has
// (which every system draws as the same box).
func TestJapaneseIsDrawnWithGlyphs(t *testing.T) {
	if _, ok := testenv.LookPath("fc-list"); !ok {
		testenv.Missing(t, "fontconfig is not installed (fc-list), so no system font can be found")
	}
	box := drawn(t, "\U000F0000") // a private-use character: no font draws it
	seen := map[string]string{}
	for _, r := range "写真旅行書類ファイルかな" {
		img := drawn(t, string(r))
		if bytes.Equal(img, box) {
			t.Fatalf("%q is drawn as a box: no font with Japanese glyphs was found (install fonts-ipafont-gothic)", r)
		}
		if other, ok := seen[string(img)]; ok {
			t.Fatalf("%q and %q are drawn alike: boxes, not glyphs", other, string(r))
		}
		seen[string(img)] = string(r)
	}
}
