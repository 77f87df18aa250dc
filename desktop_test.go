package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// desktopEnv is a desktop session of its own for the binary: the X display,
// home with its config, cache and runtime folders, and the session bus at
// bus ("" for none, so nothing reaches the machine's own bus). The system
// bus is never the machine's: a metered connection there would hold the test.
func desktopEnv(t *testing.T, display, home, bus string) []string {
	if bus == "" {
		bus = "disabled:"
	}
	return append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_RUNTIME_DIR="+t.TempDir(), "DBUS_SESSION_BUS_ADDRESS="+bus,
		"DBUS_SYSTEM_BUS_ADDRESS=disabled:")
}

// writeDemoConfig sets up home's Kumo as onboarding leaves it after
// choosing the demo server and folder (with optional exclude patterns).
func writeDemoConfig(t *testing.T, home, machineID, folder string, excludes ...string) {
	t.Helper()
	writeDemoConfigWith(t, home, machineID, folder, "{}", excludes...)
}

// writeDemoConfigWith is writeDemoConfig with the settings object given as JSON.
func writeDemoConfigWith(t *testing.T, home, machineID, folder, settings string, excludes ...string) {
	t.Helper()
	ex := ""
	for i, e := range excludes {
		if i > 0 {
			ex += ","
		}
		ex += fmt.Sprintf("%q", e)
	}
	if ex != "" {
		ex = `,"excludes":[` + ex + `]`
	}
	cfg := fmt.Sprintf(`{"version":1,"machine_id":%q,"demo":true,"folders":[{"path":%q%s}],"settings":%s,"tray_hint_shown":true}`,
		machineID, folder, ex, settings)
	if err := os.MkdirAll(filepath.Join(home, ".config", "kumo"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".config", "kumo", "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// launched is a program a test started; it is killed when the test ends.
type launched struct {
	cmd  *exec.Cmd
	logs bytes.Buffer
	done chan struct{} // closed when it has exited; err says how
	err  error
}

// launch starts name with args in env, keeping its output.
func launch(t *testing.T, env []string, name string, args ...string) *launched {
	t.Helper()
	l := &launched{cmd: exec.Command(name, args...), done: make(chan struct{})}
	l.cmd.Env, l.cmd.Stdout, l.cmd.Stderr = env, &l.logs, &l.logs
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { l.err = l.cmd.Wait(); close(l.done) }()
	t.Cleanup(l.stop)
	return l
}

// exited reports whether the program has ended.
func (l *launched) exited() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// stop kills the program and waits for it.
func (l *launched) stop() {
	_ = l.cmd.Process.Kill()
	<-l.done
}
