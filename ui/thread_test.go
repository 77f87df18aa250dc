package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// One goroutine plays the UI thread for every test, as the real driver's
// does: results from background work and the test's own taps and reads
// take turns instead of racing.
func init() {
	calls := make(chan func(), 4096)
	go func() {
		for f := range calls {
			f()
		}
	}()
	onUI = func(f func()) { calls <- f }
	onUIWait = func(f func()) {
		done := make(chan struct{})
		calls <- func() { defer close(done); f() }
		<-done
	}
}

// typeText and tap are test.Type and test.Tap on the UI goroutine.
func typeText(e fyne.Focusable, s string) { onUIWait(func() { test.Type(e, s) }) }
func tap(b fyne.Tappable)                 { onUIWait(func() { test.Tap(b) }) }

// read returns f's result, computed on the UI goroutine.
func read[T any](f func() T) T {
	var v T
	onUIWait(func() { v = f() })
	return v
}
