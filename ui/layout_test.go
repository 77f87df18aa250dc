package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// squeezed lists the words on screen given less room than they need: a
// label, button, check, select or radio drawn smaller than its minimum is
// clipped or overlaps its neighbour.
func squeezed(root fyne.CanvasObject) []string {
	var out []string
	for _, o := range test.LaidOutObjects(root) {
		if !o.Visible() {
			continue
		}
		var what string
		switch v := o.(type) {
		case *widget.Label:
			if v.Truncation != fyne.TextTruncateOff || v.Text == "" {
				continue // shortened on purpose, with an ellipsis
			}
			what = v.Text
		case *widget.Button:
			what = v.Text
		case *widget.Check:
			what = v.Text
		case *widget.Select:
			what = v.Selected
		case *widget.RadioGroup:
			what = fmt.Sprint(v.Options)
		default:
			continue
		}
		size, min := o.Size(), o.MinSize()
		if size.Width+0.5 < min.Width || size.Height+0.5 < min.Height {
			out = append(out, fmt.Sprintf("%q: %v, needs %v", what, size, min))
		}
	}
	return out
}

// In Japanese, every screen fits: at the window's default size and at the
// smallest it allows, no text is squeezed.
func TestJapaneseLayoutsFit(t *testing.T) {
	useJapanese(t)
	k := newDemoApp(t)
	src := filepath.Join(t.TempDir(), "仕事の書類")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "見積書_2026年度版.xlsx"), []byte("an estimate"), 0o644)
	if err := k.svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	onUIWait(k.folders.reload)
	eventually(t, "the first backup", 20*time.Second, func() bool { return text(k.status.line) == "最新の状態です" })
	check := func(where string) {
		t.Helper()
		var bad []string
		onUIWait(func() { bad = squeezed(k.win.Content()) })
		for _, b := range bad {
			t.Errorf("%s: %s", where, b)
		}
	}
	for _, size := range []string{"default", "smallest"} {
		onUIWait(func() {
			if size == "smallest" {
				k.win.Resize(k.win.Content().MinSize())
			} else {
				k.win.Resize(fyne.NewSize(720, 620))
			}
		})
		for i := range 3 {
			onUIWait(func() { k.tabs.SelectIndex(i) })
			var name string
			onUIWait(func() { name = k.tabs.Items[i].Text })
			check(size + " size, " + name)
		}
	}
	// The restore wizard's first step, and its window at its smallest.
	onUIWait(k.openRestore)
	eventually(t, "the wizard", 10*time.Second, func() bool { return k.wizard != nil })
	var wc fyne.CanvasObject
	onUIWait(func() { wc = k.wizard.win.Content(); k.wizard.win.Resize(wc.MinSize()) })
	var bad []string
	onUIWait(func() { bad = squeezed(wc) })
	for _, b := range bad {
		t.Errorf("restore wizard: %s", b)
	}
}

// The check itself sees a label drawn narrower than its words.
func TestSqueezedSeesAClippedLabel(t *testing.T) {
	l := widget.NewLabel("従量制課金接続でもバックアップする")
	box := container.NewWithoutLayout(l)
	l.Resize(fyne.NewSize(40, l.MinSize().Height))
	box.Resize(fyne.NewSize(200, 50))
	if got := squeezed(box); len(got) != 1 {
		t.Errorf("a clipped label was not seen: %q", got)
	}
	l.Resize(l.MinSize())
	if got := squeezed(box); len(got) != 0 {
		t.Errorf("a label with room was seen as clipped: %q", got)
	}
}
