package autostart

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// Set starts Kumo at login, or stops doing so (HKCU Run key).
func Set(e Entry, on bool) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE|registry.QUERY_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	if !on {
		if err := k.DeleteValue(e.Name); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return err
		}
		return nil
	}
	exec, err := e.exec()
	if err != nil {
		return err
	}
	return k.SetStringValue(e.Name, `"`+exec+`" `+TrayFlag)
}

// Enabled reports whether Kumo starts at login.
func Enabled(e Entry) bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	_, _, err = k.GetStringValue(e.Name)
	return err == nil
}
