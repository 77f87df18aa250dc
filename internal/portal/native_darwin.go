package portal

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
)

// ChooseFolder asks Finder's "choose folder" dialog (through osascript: no
// cgo), the system's own chooser with its input method.
func ChooseFolder(ctx context.Context, title string) (string, error) {
	script := "POSIX path of (choose folder with prompt " + strconv.Quote(title) + ")"
	out, err := exec.CommandContext(ctx, "osascript", "-e", script).Output()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && strings.Contains(string(exit.Stderr), "-128"): // "User canceled."
		return "", ErrCancelled
	case err != nil:
		return "", errors.Join(ErrUnavailable, err)
	}
	path := strings.TrimSuffix(strings.TrimSpace(string(out)), "/")
	if path == "" {
		return "", ErrCancelled
	}
	return path, nil
}
