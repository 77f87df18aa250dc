//go:build !windows

package autostart

import (
	"errors"
	"os"
	"path/filepath"
)

// setFile writes (on) or removes (off) a per-user start-at-login file.
func setFile(e Entry, on bool, content func(exec string) string) error {
	p, err := File(e)
	if err != nil {
		return err
	}
	if !on {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	exec, err := e.exec()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content(exec)), 0o644)
}

// fileExists reports whether the start-at-login file is there.
func fileExists(e Entry) bool {
	p, err := File(e)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}
