//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// pauseSignals pause and resume a running daemon (kill -USR1 / -USR2).
var pauseSignals = []os.Signal{syscall.SIGUSR1, syscall.SIGUSR2}

func isPauseSignal(s os.Signal) bool { return s == syscall.SIGUSR1 }
