package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// insideKeyring marks a test binary re-executed inside its private session bus.
const insideKeyring = "KUMO_TEST_SECRET_SERVICE"

// SecretServiceMain runs the package's tests inside dbus-run-session with an
// unlocked gnome-keyring Secret Service and a throwaway HOME, so keyring
// tests use the real service and never touch the developer's keyring. Call it
// from TestMain: func TestMain(m *testing.M) { testenv.SecretServiceMain(m) }.
func SecretServiceMain(m *testing.M) {
	if os.Getenv(insideKeyring) == "1" {
		os.Exit(m.Run())
	}
	dbusRun, ok1 := LookPath("dbus-run-session")
	_, ok2 := LookPath("gnome-keyring-daemon")
	if !ok1 || !ok2 {
		if InCI() {
			fmt.Fprintln(os.Stderr, "FAIL: dbus-run-session and gnome-keyring-daemon are required under CI=true; run `make test` to install them")
			os.Exit(1)
		}
		os.Exit(m.Run()) // RequireSecretService skips each keyring test with the reason.
	}

	home, err := os.MkdirTemp("", "kumo-keyring-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtimeDir := filepath.Join(home, "run")
	for _, d := range []string{filepath.Join(home, ".local", "share", "keyrings"), runtimeDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	// The daemon unlocks (creating) the login keyring with a password read
	// from stdin, then the test binary replaces the shell.
	script := `printf '%s' kumo-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 97
exec "$0" "$@"`
	cmd := exec.Command(dbusRun, append([]string{"--", "sh", "-c", script, os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), goCacheEnv()...)
	cmd.Env = append(cmd.Env,
		"HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_RUNTIME_DIR="+runtimeDir,
		insideKeyring+"=1",
	)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	_ = os.RemoveAll(home)
	if exit, ok := err.(*exec.ExitError); ok {
		if exit.ExitCode() == 97 {
			fmt.Fprintln(os.Stderr, "FAIL: gnome-keyring-daemon could not unlock a test keyring")
		}
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: dbus-run-session:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// RequireSecretService fails or skips a test that is not running inside
// SecretServiceMain's private keyring.
func RequireSecretService(t testing.TB) {
	t.Helper()
	if os.Getenv(insideKeyring) != "1" {
		Missing(t, "a Secret Service (dbus-run-session and gnome-keyring-daemon)")
	}
}

// KeyringHome is the throwaway HOME the keyring tests run with.
func KeyringHome(t testing.TB) string {
	RequireSecretService(t)
	return os.Getenv("HOME")
}

// goCacheEnv pins Go's build and module caches to where they are now, so a
// test that runs `go build` under the throwaway HOME stays warm (a cold cgo
// build of Fyne takes minutes).
func goCacheEnv() []string {
	var env []string
	if os.Getenv("GOCACHE") == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			env = append(env, "GOCACHE="+filepath.Join(dir, "go-build"))
		}
	}
	if os.Getenv("GOPATH") == "" {
		if home, err := os.UserHomeDir(); err == nil {
			env = append(env, "GOPATH="+filepath.Join(home, "go"))
		}
	}
	return env
}
