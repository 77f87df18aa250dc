package cli

import "os"

// Windows has no user signals: the daemon is paused from the desktop app.
var pauseSignals []os.Signal

func isPauseSignal(os.Signal) bool { return false }
