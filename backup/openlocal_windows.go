package backup

import (
	"errors"
	"syscall"
)

// heldOpen reports a file another program opened without sharing it
// (ERROR_SHARING_VIOLATION) or has locked (ERROR_LOCK_VIOLATION).
func heldOpen(err error) bool {
	return errors.Is(err, syscall.Errno(32)) || errors.Is(err, syscall.Errno(33))
}
