//go:build guide

package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// TestGuide draws the user guide's screenshots from the real binary under
// Xvfb against the demo server: `make guide` writes docs/guide/*.png.
func TestGuide(t *testing.T) {
	bin := kumoBinary(t)
	xdotool := testenv.Require(t, "xdotool")
	out := filepath.Join("docs", "guide")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	x := testenv.StartXvfb(t)
	home := t.TempDir()
	env := append(os.Environ(), "DISPLAY="+x.Display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_RUNTIME_DIR="+t.TempDir(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		var logs bytes.Buffer
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	shoot := func(name string, settle time.Duration) {
		t.Helper()
		time.Sleep(settle)
		var shot *image.RGBA
		deadline := time.Now().Add(30 * time.Second)
		for {
			var err error
			if shot, err = x.Screenshot(); err != nil {
				t.Fatal(err)
			}
			if litPixels(shot) > 100_000 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: nothing on the screen", name)
			}
			time.Sleep(300 * time.Millisecond)
		}
		f, err := os.Create(filepath.Join(out, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, shot.SubImage(litBounds(shot))); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", f.Name())
	}
	click := func(x0, y0 int) {
		t.Helper()
		cmd := exec.Command(xdotool, "mousemove", fmt.Sprint(x0), fmt.Sprint(y0), "click", "1")
		cmd.Env = env
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool: %v %s", err, b)
		}
	}

	// 1. First run: onboarding.
	first := start()
	shoot("1-onboarding", 2*time.Second)
	_ = first.Process.Kill()
	_ = first.Wait()

	// 2. After choosing the demo and a folder: the status after a backup.
	src := filepath.Join(home, "Documents")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 80, MaxSize: 64 << 10, Seed: 11, MaxDepth: 2})
	cfg := fmt.Sprintf(`{"version":1,"machine_id":"guide","demo":true,"folders":[{"path":%q,"excludes":["*.tmp"]}],"settings":{},"tray_hint_shown":true}`, src)
	os.MkdirAll(filepath.Join(home, ".config", "kumo"), 0o700)
	if err := os.WriteFile(filepath.Join(home, ".config", "kumo", "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start()
	stored := filepath.Join(home, ".cache", "kumo", "demo", "demo", "backup", account.DefaultDevice(), "Documents")
	for deadline := time.Now().Add(60 * time.Second); testenv.TreeDiff(src, stored) != ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the demo backup did not finish")
		}
	}
	shoot("2-status", 2*time.Second)
	// 3. The Folders and Settings tabs (tab labels sit at the top left of the window).
	click(100, 21)
	shoot("3-folders", time.Second)
	click(176, 21)
	shoot("4-settings", time.Second)
	// 4. The restore wizard, as the launcher's "Restore files…" action opens it.
	click(33, 21)
	second := exec.Command(bin, "--restore")
	second.Env = env
	if b, err := second.CombinedOutput(); err != nil {
		t.Fatalf("kumo --restore: %v %s", err, b)
	}
	shoot("5-restore", 3*time.Second)
}
