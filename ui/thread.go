package ui

import "fyne.io/fyne/v2"

// onUI runs f on the UI goroutine, and onUIWait waits for it. They are
// fyne.Do and fyne.DoAndWait; the tests put one goroutine of their own
// behind them, because Fyne's test driver runs f on whichever goroutine
// calls, and a background result would race with the test's own taps.
var (
	onUI     = fyne.Do
	onUIWait = fyne.DoAndWait
)
