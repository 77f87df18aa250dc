package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/kumo-backup/kumo/internal/service"
)

// The window's Pause offers the same choices as the tray: a person picks
// "Pause for 1 hour", reads when it ends, and one tap on Resume resumes.
func TestWindowPauseForAnHour(t *testing.T) {
	k := newDemoApp(t)
	eventually(t, "the demo to be ready", 20*time.Second, func() bool { return k.svc.Status().State != service.SignedOut })

	tap(k.status.pause)
	var choice fyne.Tappable
	onUIWait(func() {
		for _, o := range k.win.Canvas().Overlays().List() {
			if choice = tappableWithText(t, o, pauseHourLabel); choice != nil {
				break
			}
		}
	})
	if choice == nil {
		t.Fatal("tapping Pause should offer " + pauseHourLabel)
	}
	tap(choice)
	want := time.Now().Add(time.Hour)
	eventually(t, "the timed pause", 10*time.Second, func() bool { return strings.HasPrefix(text(k.status.line), "Paused until ") })
	st := k.svc.Status()
	if st.State != service.Paused || st.PausedUntil.Sub(want).Abs() > time.Minute {
		t.Errorf("paused until %v (state %v), want about %v", st.PausedUntil, st.State, want)
	}
	var label string
	onUIWait(func() { label = k.status.pause.Text })
	if label != "Resume" {
		t.Errorf("while paused the button says %q, want Resume", label)
	}
	tap(k.status.pause)
	eventually(t, "resuming", 10*time.Second, func() bool { return k.svc.Status().State != service.Paused })
	if k.svc.Config().Paused != nil {
		t.Error("resuming should clear the saved pause")
	}
}

// tappableWithText finds the tappable widget under root whose drawn text is label.
func tappableWithText(t *testing.T, root fyne.CanvasObject, label string) fyne.Tappable {
	var found fyne.Tappable
	var walk func(o fyne.CanvasObject, owner fyne.Tappable)
	walk = func(o fyne.CanvasObject, owner fyne.Tappable) {
		if tp, ok := o.(fyne.Tappable); ok {
			owner = tp
		}
		switch v := o.(type) {
		case *canvas.Text:
			if v.Text == label && owner != nil && found == nil {
				found = owner
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c, owner)
			}
		case fyne.Widget:
			for _, c := range test.TempWidgetRenderer(t, v).Objects() {
				walk(c, owner)
			}
		}
	}
	walk(root, nil)
	return found
}
