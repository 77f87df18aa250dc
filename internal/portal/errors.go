package portal

import "errors"

var (
	// ErrUnavailable means there is no system folder chooser here: the
	// caller shows a dialog of its own.
	ErrUnavailable = errors.New("the desktop has no folder chooser Kumo can use")
	// ErrCancelled means the person closed the dialog without choosing.
	ErrCancelled = errors.New("no folder was chosen")
)
