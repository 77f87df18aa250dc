//go:build guide

package main

import (
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
// Xvfb against the demo server: `make guide` writes docs/guide/*.png, and
// with a Japanese system language docs/guide/ja/*.png.
func TestGuide(t *testing.T) {
	t.Run("en", func(t *testing.T) {
		guide(t, filepath.Join("docs", "guide"), []string{"LANGUAGE=en", "LANG=C.UTF-8", "LC_ALL="}, [3]int{33, 100, 176})
	})
	t.Run("ja", func(t *testing.T) {
		guide(t, filepath.Join("docs", "guide", "ja"), []string{"LANGUAGE=ja", "LANG=ja_JP.UTF-8", "LC_ALL="}, [3]int{25, 90, 158})
	})
}

// guide draws one language's screenshots into out; tabs are the x of the
// Status, Folders and Settings tabs, whose widths follow their words.
func guide(t *testing.T, out string, langEnv []string, tabs [3]int) {
	bin := kumoBinary(t)
	xdotool := testenv.Require(t, "xdotool")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	x := testenv.StartXvfb(t)
	home := t.TempDir()
	env := append(desktopEnv(t, x.Display, home, ""), langEnv...)
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
	first := launch(t, env, bin)
	shoot("1-onboarding", 2*time.Second)
	first.stop()

	// 2. After choosing the demo and a folder: the status after a backup.
	src := filepath.Join(home, "Documents")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 80, MaxSize: 64 << 10, Seed: 11, MaxDepth: 2})
	writeDemoConfig(t, home, "guide", src, "*.tmp")
	launch(t, env, bin)
	stored := filepath.Join(home, ".cache", "kumo", "demo", "demo", "backup", account.DefaultDevice(), "Documents")
	for deadline := time.Now().Add(60 * time.Second); testenv.TreeDiff(src, stored) != ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the demo backup did not finish")
		}
	}
	shoot("2-status", 2*time.Second)
	// 3. The Folders and Settings tabs (tab labels sit at the top left of the window).
	click(tabs[1], 21)
	shoot("3-folders", time.Second)
	click(tabs[2], 21)
	shoot("4-settings", time.Second)
	// 4. The restore wizard, as the launcher's "Restore files…" action opens it.
	click(tabs[0], 21)
	second := exec.Command(bin, "--restore")
	second.Env = env
	if b, err := second.CombinedOutput(); err != nil {
		t.Fatalf("kumo --restore: %v %s", err, b)
	}
	shoot("5-restore", 3*time.Second)
}
