package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// The real binary's tray icon, read and clicked the way a desktop panel
// does it: over D-Bus from a real StatusNotifierWatcher. Its menu shows the
// status line and the actions; Pause pauses (the menu then offers Resume
// and the status says so); Quit ends Kumo cleanly.
func TestTrayMenuOverDBus(t *testing.T) {
	bin := kumoBinary(t)
	x := testenv.StartXvfb(t)
	addr := testenv.SessionBus(t)
	tray := testenv.StartTray(t, addr, true)
	home := t.TempDir()
	src := filepath.Join(t.TempDir(), "Notes")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 10, MaxSize: 1 << 10, Seed: 4, MaxDepth: 1})
	writeDemoConfig(t, home, "m-tray", src)
	kumo := launch(t, desktopEnv(t, x.Display, home, addr), bin, "--tray")

	item, byLabel := trayItemOf(t, tray, kumo)
	var owner string
	tray.Conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, item).Store(&owner)
	testenv.Eventually(t, "the item registered with the watcher", 10*time.Second, func() bool {
		registered := strings.Join(tray.Items(), " ")
		return strings.Contains(registered, item) || (owner != "" && strings.Contains(registered, owner))
	})
	// clickUntil chooses label in a freshly read menu, as a person opening
	// it does (Kumo rebuilds the menu when the status changes, and the items'
	// ids with it), until done says the click took effect.
	clickUntil := func(label, what string, done func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; {
			if it, ok := byLabel()[label]; ok {
				if err := tray.Click(item, trayMenu, it.ID); err != nil {
					t.Fatal(err)
				}
			}
			for wait := time.Now().Add(2 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
				if done() {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("choosing %q in the tray menu: gave up waiting for %s; menu %v", label, what, byLabel())
			}
		}
	}
	testenv.Eventually(t, "the tray to say the demo backup is done", 60*time.Second, func() bool { _, ok := byLabel()["Up to date"]; return ok })
	items := byLabel()
	for _, want := range []string{"Up to date", "Back up now", "Pause", "Pause for 1 hour", "Pause until tomorrow", "Restore…", "Open Kumo", "Quit"} {
		if _, ok := items[want]; !ok {
			t.Errorf("the tray menu has no %q: %v", want, items)
		}
	}
	if items["Up to date"].Enabled {
		t.Error("the status line in the menu can be clicked")
	}

	// Started at login (--tray) with a tray: no window until asked for.
	if shot, err := x.Screenshot(); err != nil || litPixels(shot) > 20_000 {
		t.Errorf("--tray with a tray host drew a window (%v)", err)
	}
	clickUntil("Open Kumo", "the window", func() bool {
		shot, err := x.Screenshot()
		return err == nil && litPixels(shot) > 100_000
	})
	clickUntil("Pause", "the menu to offer Resume", func() bool { _, ok := byLabel()["Resume"]; return ok })
	paused := false
	for label := range byLabel() {
		paused = paused || strings.HasPrefix(label, "Paused")
	}
	if !paused {
		t.Errorf("after Pause the status line does not say so: %v", byLabel())
	}
	// From paused until resumed to paused for an hour: the line says until when.
	// An hour from 23:30 ends "tomorrow 00:30": both forms are right.
	clicked := time.Now()
	var ends []string
	for _, end := range []time.Time{clicked.Add(time.Hour), clicked.Add(time.Hour + time.Minute)} {
		ends = append(ends, "Paused until "+end.Format("15:04"), "Paused until tomorrow "+end.Format("15:04"))
	}
	clickUntil("Pause for 1 hour", "the status to say when the pause ends", func() bool {
		for label := range byLabel() {
			for _, end := range ends {
				if strings.HasPrefix(label, end) {
					return true
				}
			}
		}
		return false
	})

	clickUntil("Quit", "Kumo to exit", kumo.exited)
	if kumo.err != nil {
		t.Fatalf("Quit from the tray: kumo exited with %v\n%s", kumo.err, kumo.logs.String())
	}
	t.Logf("tray item %s: menu read over D-Bus, hidden until Open Kumo, Pause → Resume, Pause for 1 hour → %q, Quit → exit 0", item, ends[0])
}

// trayMenu is where Fyne's tray item serves its dbusmenu.
const trayMenu = "/StatusNotifierMenu"

// trayItemOf waits for kumo's item in the tray and returns its bus name
// and a reader of its menu as a panel sees it now, by label.
func trayItemOf(t *testing.T, tray *testenv.Tray, kumo *launched) (string, func() map[string]testenv.MenuItem) {
	t.Helper()
	item := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", kumo.cmd.Process.Pid)
	if !tray.WaitForName(item, 20*time.Second) {
		t.Fatalf("Kumo put no item in the tray\n%s", kumo.logs.String())
	}
	return item, func() map[string]testenv.MenuItem {
		items, err := tray.Menu(item, trayMenu)
		if err != nil {
			t.Fatalf("reading the tray menu: %v", err)
		}
		m := map[string]testenv.MenuItem{}
		for _, it := range items {
			m[it.Label] = it
		}
		return m
	}
}

// Started at login on a desktop that shows no tray icons (a watcher but no
// host, as stock GNOME): Kumo opens its window instead of running unseen.
func TestStartAtLoginWithoutTrayShowsWindow(t *testing.T) {
	bin := kumoBinary(t)
	x := testenv.StartXvfb(t)
	addr := testenv.SessionBus(t)
	testenv.StartTray(t, addr, false)
	launch(t, desktopEnv(t, x.Display, t.TempDir(), addr), bin, "--tray")
	testenv.Eventually(t, "the window of a Kumo started at login without a tray", 30*time.Second, func() bool {
		shot, err := x.Screenshot()
		return err == nil && litPixels(shot) > 100_000
	})
}

// A person opens the tray menu, reads it, and clicks Pause a moment later,
// during a long backup; then Resume the same way. The menu must not have
// been rebuilt (with new item ids) by progress in between, or the click
// is lost. Five rounds, each click 1.5 s after the menu was read.
func TestTrayClickCountsDuringBackup(t *testing.T) {
	bin := kumoBinary(t)
	x := testenv.StartXvfb(t)
	addr := testenv.SessionBus(t)
	tray := testenv.StartTray(t, addr, true)
	home := t.TempDir()
	src := filepath.Join(t.TempDir(), "Photos")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 4000, MaxSize: 8 << 10, Seed: 12, MaxDepth: 2})
	// 256 KiB/s: the backup lasts well past the five rounds.
	writeDemoConfigWith(t, home, "m-click", src, `{"upload_limit_kib":256}`)
	kumo := launch(t, desktopEnv(t, x.Display, home, addr), bin, "--tray")

	item, read := trayItemOf(t, tray, kumo)
	testenv.Eventually(t, "the tray to say it is backing up", 30*time.Second, func() bool {
		for l := range read() {
			if strings.HasPrefix(l, "Backing up") {
				return true
			}
		}
		return false
	})
	// clickLater reads the menu, waits as a person does, clicks label with
	// the id it read, and reports whether want appeared within 3 s.
	clickLater := func(label, want string) bool {
		it, ok := read()[label]
		if !ok {
			t.Logf("no %q in the tray menu: %v", label, read())
			return false
		}
		time.Sleep(1500 * time.Millisecond)
		if err := tray.Click(item, trayMenu, it.ID); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, ok := read()[want]; ok {
				return true
			}
		}
		return false
	}
	paused, resumed := 0, 0
	for range 5 {
		if clickLater("Pause", "Resume") {
			paused++
		}
		if clickLater("Resume", "Pause") {
			resumed++
		}
	}
	if _, ok := read()["Up to date"]; ok {
		t.Fatal("the backup ended during the rounds: the clicks were not made during a backup")
	}
	if paused != 5 || resumed != 5 {
		t.Errorf("of 5 clicks 1.5 s after reading the menu, Pause took effect %d times and Resume %d", paused, resumed)
	}
	t.Logf("Pause %d of 5, Resume %d of 5, each clicked 1.5 s after the menu was read, during a backup of 4,000 files", paused, resumed)
}
