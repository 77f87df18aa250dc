//go:build !darwin && !windows

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File is the XDG autostart entry's path.
func File(e Entry) (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", e.ID+".desktop"), nil
}

// Desktop is the autostart entry's text.
func Desktop(e Entry, exec string) string {
	return fmt.Sprintf(`[Desktop Entry]
Type=Application
Name=%s
Comment=Back up folders to InfiniCLOUD or WebDAV from the system tray
Comment[ja]=システムトレイからフォルダーを InfiniCLOUD や WebDAV にバックアップします
Exec=%s %s
Icon=%s
Terminal=false
Categories=Utility;Archiving;
X-GNOME-Autostart-enabled=true
`, e.Name, quoteExec(exec), TrayFlag, e.ID)
}

// quoteExec quotes a path for a desktop entry's Exec key.
func quoteExec(p string) string {
	if !strings.ContainsAny(p, " \t\"'\\$`") {
		return p
	}
	r := strings.NewReplacer(`\`, `\\\\`, `"`, `\\"`, "`", "\\\\`", "$", `\\$`)
	return `"` + r.Replace(p) + `"`
}

// Set starts Kumo at login, or stops doing so.
func Set(e Entry, on bool) error {
	return setFile(e, on, func(exec string) string { return Desktop(e, exec) })
}

// Enabled reports whether Kumo starts at login.
func Enabled(e Entry) bool { return fileExists(e) }
