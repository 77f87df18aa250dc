package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/autostart"
	"github.com/kumo-backup/kumo/internal/testenv"
)

const appID = "io.kumobackup.kumo"

// make install puts every file where the freedesktop specs say, the entries
// validate, the installed launcher opens the app (its window grouped with
// the launcher by WM_CLASS), and make uninstall leaves nothing behind.
func TestInstallLaunchUninstall(t *testing.T) {
	bin := kumoBinary(t)
	validate := testenv.Require(t, "desktop-file-validate")
	appstream := testenv.Require(t, "appstreamcli")
	xprop := testenv.Require(t, "xprop")
	home := t.TempDir()
	prefix := filepath.Join(home, ".local")
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run("bash", "scripts/install.sh", "install", "--prefix", prefix, "--bin", bin)

	want := []string{
		"bin/kumo",
		"share/applications/" + appID + ".desktop",
		"share/metainfo/" + appID + ".metainfo.xml",
		"share/kumo/installed-files",
	}
	for _, size := range []string{"16x16", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "512x512"} {
		want = append(want, "share/icons/hicolor/"+size+"/apps/"+appID+".png")
	}
	got := map[string]bool{}
	filepath.WalkDir(prefix, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(prefix, p)
			got[rel] = true
		}
		return nil
	})
	for _, w := range want {
		if !got[w] {
			t.Errorf("not installed: %s", w)
		}
		delete(got, w)
	}
	for extra := range got {
		t.Errorf("installed but not expected: %s", extra)
	}
	desktop := filepath.Join(prefix, "share/applications", appID+".desktop")
	run(validate, desktop)
	run(appstream, "validate", "--no-net", filepath.Join(prefix, "share/metainfo", appID+".metainfo.xml"))

	// The autostart entry the settings write validates too and starts into the tray.
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	entry := autostart.Entry{ID: appID, Name: "Kumo", Exec: filepath.Join(prefix, "bin/kumo")}
	if err := autostart.Set(entry, true); err != nil {
		t.Fatal(err)
	}
	auto, _ := autostart.File(entry)
	run(validate, auto)
	if b, _ := os.ReadFile(auto); !strings.Contains(string(b), "Exec="+filepath.Join(prefix, "bin/kumo")+" --tray") {
		t.Errorf("the autostart entry should start the installed Kumo in the tray:\n%s", b)
	}

	// Launch the way a menu does: the entry's Exec.
	raw, _ := os.ReadFile(desktop)
	exec_ := regexp.MustCompile(`(?m)^Exec=(.*)$`).FindStringSubmatch(string(raw))
	class := regexp.MustCompile(`(?m)^StartupWMClass=(.*)$`).FindStringSubmatch(string(raw))
	if exec_ == nil || class == nil {
		t.Fatalf("the entry lacks Exec or StartupWMClass:\n%s", raw)
	}
	x := testenv.StartXvfb(t)
	kumo := launch(t, desktopEnv(t, x.Display, home, ""), "sh", "-c", "exec "+exec_[1])
	deadline := time.Now().Add(30 * time.Second)
	for {
		shot, err := x.Screenshot()
		if err != nil {
			t.Fatal(err)
		}
		if litPixels(shot) > 100_000 && distinctColors(shot) >= 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the installed launcher opened no window in 30 s\n%s", kumo.logs.String())
		}
		time.Sleep(300 * time.Millisecond)
	}
	tree, _ := exec.Command(xprop, "-display", x.Display, "-root", "_NET_CLIENT_LIST").CombinedOutput()
	classes := ""
	for _, id := range regexp.MustCompile(`0x[0-9a-f]+`).FindAllString(string(tree), -1) {
		out, _ := exec.Command(xprop, "-display", x.Display, "-id", id, "WM_CLASS").CombinedOutput()
		classes += string(out)
	}
	if classes == "" { // no window manager under Xvfb: look at every top-level window
		out, _ := exec.Command("sh", "-c", "xwininfo -display "+x.Display+" -root -children 2>/dev/null | grep -o '0x[0-9a-f]*' | while read id; do xprop -display "+x.Display+" -id $id WM_CLASS; done").CombinedOutput()
		classes = string(out)
	}
	if !strings.Contains(classes, `"`+class[1]+`"`) {
		t.Errorf("no window has WM_CLASS %q (StartupWMClass), so docks would not group it with its launcher:\n%s", class[1], classes)
	}
	kumo.stop()

	run("bash", "scripts/install.sh", "uninstall", "--prefix", prefix)
	var left []string
	filepath.WalkDir(prefix, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != prefix {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("uninstall left %v", left)
	}
}
