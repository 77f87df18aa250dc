// Package autostart starts Kumo at login, into the tray: an XDG autostart
// entry on Linux and BSD, a LaunchAgent on macOS, the Run key on Windows.
package autostart

import (
	"os"
	"path/filepath"
)

// TrayFlag starts the desktop app without opening its window.
const TrayFlag = "--tray"

// Entry describes what to start.
type Entry struct {
	ID   string // reverse-DNS app ID, io.kumobackup.kumo
	Name string
	Exec string // absolute path of the binary; os.Executable() when empty
}

func (e Entry) exec() (string, error) {
	if e.Exec != "" {
		return e.Exec, nil
	}
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(p)
}
