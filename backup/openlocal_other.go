//go:build !windows

package backup

// heldOpen is Windows' sharing refusal; elsewhere any program may read a
// file another has open.
func heldOpen(error) bool { return false }
