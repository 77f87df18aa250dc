package autostart

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
)

// File is the LaunchAgent's path.
func File(e Entry) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "LaunchAgents", e.ID+".plist"), nil
}

func plist(e Entry, exec string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>%s</string>
  <key>ProgramArguments</key><array><string>%s</string><string>%s</string></array>
  <key>RunAtLoad</key><true/>
  <key>ProcessType</key><string>Interactive</string>
</dict>
</plist>
`, html.EscapeString(e.ID), html.EscapeString(exec), TrayFlag)
}

// Set starts Kumo at login, or stops doing so.
func Set(e Entry, on bool) error {
	return setFile(e, on, func(exec string) string { return plist(e, exec) })
}

// Enabled reports whether Kumo starts at login.
func Enabled(e Entry) bool { return fileExists(e) }
