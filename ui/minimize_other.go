//go:build !linux || !cgo || wayland

package ui

import "fyne.io/fyne/v2"

// minimize is not available here; the caller keeps the window open.
func minimize(fyne.Window) bool { return false }
