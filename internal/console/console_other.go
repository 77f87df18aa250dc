//go:build !windows

// Package console gives a windowed Windows program the console it was
// started from; elsewhere a program always has its terminal.
package console

// Attach does nothing outside Windows: the terminal is already there.
func Attach() {}
