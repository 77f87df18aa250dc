package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/testenv"
)

func TestMain(m *testing.M) { testenv.SecretServiceMain(m) }

// kumoBinary is the real, cgo-built binary: $KUMO_BIN (set by make test) or a
// fresh build into the test's temp dir.
func kumoBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KUMO_BIN"); p != "" {
		return p
	}
	bin := filepath.Join(t.TempDir(), "kumo")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestBinaryHelpAndVersion(t *testing.T) {
	bin := kumoBinary(t)
	out, err := exec.Command(bin, "--help").Output()
	if err != nil || !strings.Contains(string(out), "backup") {
		t.Fatalf("kumo --help: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	var meta appMetadata
	if _, err := toml.DecodeFile("FyneApp.toml", &meta); err != nil {
		t.Fatal(err)
	}
	want := "kumo " + meta.Details.Version + " (commit "
	if !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), ", built 20") {
		t.Errorf("kumo --version printed %q; want %q…, built DATE) from FyneApp.toml", out, want)
	}
}

// Double-clicking Kumo opens a real window: the binary starts under Xvfb,
// stays up, and draws something on an otherwise black screen.
func TestBinaryOpensWindowUnderXvfb(t *testing.T) {
	bin := kumoBinary(t)
	x := testenv.StartXvfb(t)

	blank, err := x.Screenshot()
	if err != nil {
		t.Fatal(err)
	}
	if n := litPixels(blank); n != 0 {
		t.Fatalf("the screen is not black before Kumo starts (%d lit pixels)", n)
	}

	kumo := launch(t, desktopEnv(t, x.Display, t.TempDir(), ""), bin)

	var shot *image.RGBA
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-kumo.done:
			t.Fatalf("kumo exited early: %v\n%s", kumo.err, kumo.logs.String())
		case <-time.After(500 * time.Millisecond):
		}
		if shot, err = x.Screenshot(); err != nil {
			t.Fatal(err)
		}
		// The window is 560x380 logical pixels: expect well over 100,000 lit.
		if litPixels(shot) > 100_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window appeared within 30s (%d lit pixels)\n%s", litPixels(shot), kumo.logs.String())
		}
	}
	if colors := distinctColors(shot); colors < 8 {
		t.Errorf("the window looks blank: only %d distinct colours", colors)
	}
	keepScreenshot(t, shot, "KUMO_FIRST_SCREENSHOT")
}

// After onboarding chose the demo and a folder, Kumo starts, backs the
// folder up to the built-in demo server, and its window shows it; a second
// launch brings that window forward instead of starting again.
func TestBinaryDemoBackupUnderXvfb(t *testing.T) {
	bin := kumoBinary(t)
	x := testenv.StartXvfb(t)
	home := t.TempDir()
	src := filepath.Join(t.TempDir(), "Documents")
	files := testenv.WriteTree(t, src, testenv.TreeSpec{Files: 50, MaxSize: 8 << 10, Seed: 2, MaxDepth: 2})
	writeDemoConfig(t, home, "m-test", src)
	env := desktopEnv(t, x.Display, home, "")
	kumo := launch(t, env, bin)

	stored := filepath.Join(home, ".cache", "kumo", "demo", "demo", "backup", account.DefaultDevice(), "Documents")
	deadline := time.Now().Add(60 * time.Second)
	for testenv.TreeDiff(src, stored) != "" {
		select {
		case <-kumo.done:
			t.Fatalf("kumo exited: %v\n%s", kumo.err, kumo.logs.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo backup did not complete in 60 s: %s\n%s", testenv.TreeDiff(src, stored), kumo.logs.String())
		}
	}
	n, size := testenv.AssertSameTree(t, src, stored)
	if n != len(files) {
		t.Errorf("%d files backed up, want %d", n, len(files))
	}
	time.Sleep(1500 * time.Millisecond) // the status line follows the pass
	shot, err := x.Screenshot()
	if err != nil {
		t.Fatal(err)
	}
	if lit, colors := litPixels(shot), distinctColors(shot); lit < 200_000 || colors < 8 {
		t.Errorf("the main window looks blank: %d lit pixels, %d colours", lit, colors)
	}
	t.Logf("demo backup of %d files (%d bytes) identical on the demo server; window drawn", n, size)
	keepScreenshot(t, shot, "KUMO_SCREENSHOT")

	second := exec.Command(bin)
	second.Env = env
	done := make(chan []byte, 1)
	go func() { out, _ := second.CombinedOutput(); done <- out }()
	select {
	case out := <-done:
		if !strings.Contains(string(out), "already running") {
			t.Errorf("a second launch should hand over to the first: %s", out)
		}
	case <-time.After(15 * time.Second):
		_ = second.Process.Kill()
		t.Error("a second launch started a second Kumo instead of showing the first")
	}
}

// keepScreenshot saves the window's part of shot where the environment
// variable env says, for a person to look at (and for assets/).
func keepScreenshot(t *testing.T, shot *image.RGBA, env string) {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		return
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, shot.SubImage(litBounds(shot))); err != nil {
		t.Fatal(err)
	}
}

func litPixels(img *image.RGBA) int {
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i]|img.Pix[i+1]|img.Pix[i+2] != 0 {
			n++
		}
	}
	return n
}

// litBounds is the smallest rectangle holding every non-black pixel: the window.
func litBounds(img *image.RGBA) image.Rectangle {
	r := image.Rectangle{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if c := img.RGBAAt(x, y); c.R|c.G|c.B != 0 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func distinctColors(img *image.RGBA) int {
	seen := map[[3]uint8]bool{}
	for i := 0; i < len(img.Pix) && len(seen) < 1000; i += 4 {
		seen[[3]uint8{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}] = true
	}
	return len(seen)
}

// The engine and everything under it never import the UI toolkit (DESIGN.md):
// the same code runs from the command line on a server without a display.
func TestEngineNeverImportsFyne(t *testing.T) {
	pkgs := []string{"./backup/...", "./transport/...", "./account/...", "./watcher/...", "./emulator/...",
		"./internal/service/...", "./internal/cli/...", "./internal/autostart/...", "./internal/instance/..."}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "fyne.io/") || strings.HasSuffix(dep, "kumo/ui") {
			t.Errorf("the engine side depends on %s", dep)
		}
	}
}

// Servers run with LANG=C: the command line prints what it was asked for
// and nothing from the UI toolkit.
func TestCLIWithPOSIXLocaleIsQuiet(t *testing.T) {
	bin := kumoBinary(t)
	for _, env := range [][]string{{"LANG=C"}, {"LC_ALL=C", "LANG=en_US.UTF-8"}, {"LANG=C.UTF-8"}, {"LANG="}} {
		cmd := exec.Command(bin, "--version")
		cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}, env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("kumo --version with %v: %v, stderr %q", env, err, stderr.String())
		}
	}
}
