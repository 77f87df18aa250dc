package backup

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// RemoteFolder is where a local folder's current files live on the server:
// <device>/<folder name>/, relative to the area root (see docs/remote-layout.md).
func RemoteFolder(device, localRoot string) (string, error) {
	if err := ValidateDeviceName(device); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(localRoot)
	if err != nil {
		return "", fmt.Errorf("folder %s: %w", localRoot, err)
	}
	name := filepath.Base(abs)
	if name == string(filepath.Separator) || name == "." || strings.HasSuffix(name, ":") || strings.HasSuffix(name, `\`) {
		return "", fmt.Errorf("cannot back up %s as a whole: choose a folder inside it", abs)
	}
	return path.Join(device, name), nil
}

// ValidateDeviceName accepts a name usable as one path segment on any server.
func ValidateDeviceName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("the device name is empty: give this computer a name, such as its host name")
	case name == "." || name == "..":
		return fmt.Errorf("%q cannot be a device name: choose a name with letters or digits", name)
	case strings.ContainsAny(name, `/\`+"\x00"):
		return fmt.Errorf("the device name %q contains a slash: choose a name without / or \\", name)
	}
	return nil
}
