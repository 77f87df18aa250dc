// Package testenv starts the real components Kumo's tests talk to, on
// loopback only: Apache httpd with mod_dav, TLS and BASIC auth; a Secret
// Service under a private D-Bus; Xvfb. With CI=true a missing component fails
// the test; elsewhere the test is skipped with the reason.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// InCI reports whether the tests run under CI, where nothing may be skipped.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "0" && v != "false"
}

// Missing fails the test under CI and skips it elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("required test component missing (CI=true, so this is a failure; run `make test` to install it): "+format, args...)
	}
	t.Skipf("skipping: "+format+" (run `make test` to install it)", args...)
}

// LookPath finds a command in PATH or in the system folders where Debian puts
// daemons (apache2 lives in /usr/sbin, which non-root PATHs often lack).
func LookPath(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// Require returns the path of command name, or fails/skips per Missing.
func Require(t testing.TB, name string) string {
	t.Helper()
	p, ok := LookPath(name)
	if !ok {
		Missing(t, "%s is not installed", name)
	}
	return p
}
