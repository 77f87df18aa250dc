package ui

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

var testInfo = Info{ID: "io.kumobackup.kumo.test", Name: "Kumo", Version: "0.0.0-test", Commit: "test"}

// newTestApp runs the app on Fyne's test driver with a fresh config and
// cache, against servers trusted through pool.
func newTestApp(t *testing.T, opts service.Options) *App {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	opts.ConfigPath = filepath.Join(t.TempDir(), "config.json")
	opts.NoKeyring = true
	opts.Autostart = autostartEntry(testInfo)
	var k *App
	var mu sync.Mutex
	opts.OnChange = func(st service.Status) {
		onUI(func() {
			mu.Lock()
			defer mu.Unlock()
			if k != nil {
				k.render(st)
			}
		})
	}
	svc, err := service.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	a := test.NewApp()
	t.Cleanup(func() { svc.Close(); a.Quit() })
	onUIWait(func() {
		mu.Lock()
		k = New(a, svc, testInfo)
		mu.Unlock()
		k.win.Show()
	})
	return k
}

// eventually waits for cond, the way a person waits for the screen.
func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, what, limit, cond)
}

func text(l *widget.Label) string {
	var s string
	onUIWait(func() { s = l.Text })
	return s
}

// newDemoApp is the app after a person chose the demo server in onboarding.
func newDemoApp(t *testing.T) *App {
	t.Helper()
	return newDemoAppWith(t, service.Options{})
}

// newDemoAppWith is newDemoApp with the service's options (a clock).
func newDemoAppWith(t *testing.T, opts service.Options) *App {
	t.Helper()
	opts.DemoDir = t.TempDir()
	k := newTestApp(t, opts)
	onUIWait(func() { k.onboard.choice.SetSelected(tr(choiceDemo)) })
	tap(k.onboard.signIn)
	eventually(t, "the demo to start", 20*time.Second, func() bool {
		var c fyne.CanvasObject
		onUIWait(func() { c = k.win.Content() })
		return c == k.tabs
	})
	return k
}

// A person signs in to InfiniCLOUD (the emulator), first with a wrong
// password and reads the sentence in place, then with the right one, adds
// a folder, and sees it backed up: the bytes on the server are the bytes
// on disk.
func TestOnboardingSignInAndFirstBackup(t *testing.T) {
	e := testenv.StartEmulator(t)
	k := newTestApp(t, service.Options{RootCAs: e.Pool()})
	o := k.onboard
	if o == nil || k.win.Content() != o.content {
		t.Fatal("a first run should open onboarding")
	}
	typeText(o.url, e.URL+"dav/")
	typeText(o.user, e.User)
	typeText(o.password, "wrong-password")
	tap(o.test)
	eventually(t, "the result of Test connection", 20*time.Second, func() bool {
		s := text(o.result)
		return s != "" && !strings.HasSuffix(s, "…")
	})
	if got := text(o.result); !strings.Contains(got, "Apps Password") || !strings.Contains(strings.ToLower(got), "password") {
		t.Errorf("a wrong password should say what to do, got %q", got)
	}
	if strings.Contains(text(o.result), "wrong-password") {
		t.Error("the sentence repeats the password")
	}

	onUIWait(func() { o.password.SetText("") })
	typeText(o.password, e.AppsPassword)
	tap(o.test)
	eventually(t, "a working connection", 20*time.Second, func() bool { return strings.HasPrefix(text(o.result), "The connection works") })
	tap(o.signIn)
	eventually(t, "the main screens", 20*time.Second, func() bool {
		var c fyne.CanvasObject
		onUIWait(func() { c = k.win.Content() })
		return c == k.tabs
	})

	src := filepath.Join(t.TempDir(), "Photos")
	files := testenv.WriteTree(t, src, testenv.TreeSpec{Files: 60, MaxSize: 16 << 10, Seed: 9, MaxDepth: 2})
	typeText(k.folders.path, src)
	tap(findButton(t, k.folders.content, "Add folder"))
	eventually(t, "the folder to be added", 20*time.Second, func() bool { return strings.HasPrefix(text(k.folders.message), "Added") })
	if got := text(k.folders.message); !strings.Contains(got, "60 files") {
		t.Errorf("the estimate should count the files before the first backup: %q", got)
	}
	stored := filepath.Join(e.AreaDir(e.User, "backup"), service.DefaultDevice(), "Photos")
	eventually(t, "the status to say Up to date", 30*time.Second, func() bool { return text(k.status.line) == "Up to date" })
	eventually(t, "the files sent to be listed", 10*time.Second, func() bool { return strings.Contains(text(k.status.recent), "Photos") })
	n, size := testenv.AssertSameTree(t, src, stored)
	if n != len(files) {
		t.Errorf("%d files on the server, want %d", n, len(files))
	}
	t.Logf("signed in, added a folder, %d files (%d bytes) on the server identical to the disk; status %q, detail %q",
		n, size, text(k.status.line), text(k.status.detail))

	// A change is backed up within seconds, and the screen says so.
	os.WriteFile(filepath.Join(src, "new.txt"), []byte("a new file"), 0o644)
	eventually(t, "the change on the server", 20*time.Second, func() bool {
		b, err := os.ReadFile(filepath.Join(stored, "new.txt"))
		return err == nil && string(b) == "a new file"
	})
}

// Settings are checked, saved, and start at login writes the autostart entry.
func TestSettingsSaveAndStartAtLogin(t *testing.T) {
	k := newDemoApp(t)
	s := k.setts
	onUIWait(func() { s.quiet.SetText("0") })
	tap(findButton(t, s.content, "Save settings"))
	if got := text(s.message); !strings.Contains(got, "at least 1") {
		t.Errorf("a zero wait should be refused with a sentence, got %q", got)
	}
	onUIWait(func() {
		s.quiet.SetText("3")
		s.limit.SetText("512")
		s.workers.SetSelected("2")
		s.login.SetChecked(true)
		s.meteredMB.SetText("5")
		s.lowBattery.SetSelected(tr(neverOnBattery))
		s.onBattery.SetChecked(true)
	})
	tap(findButton(t, s.content, "Save settings"))
	eventually(t, "the settings to be saved", 20*time.Second, func() bool { return text(s.message) == "Saved." })
	set := k.svc.Config().Settings
	if set.QuietSeconds != 3 || set.UploadLimitKiB != 512 || set.Workers != 2 || !set.StartAtLogin {
		t.Errorf("saved settings: %+v", set)
	}
	if set.MeteredUploads || set.MeteredAllowMB != 5 || set.LowBatteryPercent != -1 || !set.HoldOnBattery {
		t.Errorf("saved network and power settings: %+v", set)
	}
	entry, err := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", testInfo.ID+".desktop"))
	if err != nil || !strings.Contains(string(entry), "--tray") {
		t.Errorf("the autostart entry should start Kumo in the tray: %q, %v", entry, err)
	}
	onUIWait(func() { s.login.SetChecked(false) })
	tap(findButton(t, s.content, "Save settings"))
	eventually(t, "the settings to be saved", 20*time.Second, func() bool { return text(s.message) == "Saved." })
	if _, err := os.Stat(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "autostart", testInfo.ID+".desktop")); !os.IsNotExist(err) {
		t.Error("turning start at login off should remove the autostart entry")
	}
}

// A server that accepts connections and then says nothing for seconds
// never holds the UI goroutine: every tap returns at once, and the screen
// keeps answering while the check waits.
func TestStalledServerLeavesTheWindowResponsive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	k := newTestApp(t, service.Options{})
	o := k.onboard
	typeText(o.url, "https://"+ln.Addr().String()+"/dav/")
	typeText(o.user, "someone")
	typeText(o.password, "secret-password")
	start := time.Now()
	tap(o.test)
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Fatalf("tapping Test connection held the UI goroutine for %v", d)
	}
	if got := text(o.result); got != "Testing the connection…" {
		t.Errorf("while waiting the screen should say so, got %q", got)
	}
	// For three seconds of stall, the UI goroutine answers within 50 ms.
	var worst time.Duration
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		t0 := time.Now()
		onUIWait(func() { o.device.SetText(o.device.Text + "x") })
		worst = max(worst, time.Since(t0))
		time.Sleep(50 * time.Millisecond)
	}
	if worst > 50*time.Millisecond {
		t.Errorf("the UI goroutine was held %v during the stall", worst)
	}
	if got := text(o.result); got != "Testing the connection…" {
		t.Errorf("the stalled check should still be waiting, got %q", got)
	}
	t.Logf("tap returned in %v; the UI answered within %v throughout a 3 s stall", time.Since(start)-3*time.Second, worst)
}

// findButton finds a button by its text anywhere in a screen.
func findButton(t *testing.T, root fyne.CanvasObject, label string) *widget.Button {
	t.Helper()
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Button:
			if v.Text == label {
				found = v
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.TempWidgetRenderer(t, v)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	walk(root)
	if found == nil {
		t.Fatalf("no button %q on the screen", label)
	}
	return found
}

// A reinstalled computer signs in with its old name: Kumo asks once, and
// on Yes continues that computer's backups instead of refusing.
func TestSignInContinuesAReinstalledComputer(t *testing.T) {
	e := testenv.StartEmulator(t)
	old := account.Account{Service: account.InfiniCLOUD, URL: e.DAVURL("backup"), User: e.User, Device: "laptop"}
	if _, err := account.Check(context.Background(), old, account.Secrets{Password: e.AppsPassword},
		account.Options{RootCAs: e.Pool(), MachineID: "the-old-install"}); err != nil {
		t.Fatal(err)
	}
	k := newTestApp(t, service.Options{RootCAs: e.Pool()})
	o := k.onboard
	typeText(o.url, e.URL+"dav/")
	typeText(o.user, e.User)
	typeText(o.password, e.AppsPassword)
	onUIWait(func() { o.device.SetText("laptop") })
	tap(o.signIn)
	var yes *widget.Button
	eventually(t, "the question about the old computer", 20*time.Second, func() bool {
		var top fyne.CanvasObject
		onUIWait(func() { top = k.win.Canvas().Overlays().Top() })
		if top == nil {
			return false
		}
		yes = findButton(t, top, "Yes")
		return true
	})
	if got := text(o.result); !strings.Contains(got, "laptop") {
		t.Errorf("the sentence should name the device: %q", got)
	}
	tap(yes)
	eventually(t, "the main screens", 20*time.Second, func() bool {
		var c fyne.CanvasObject
		onUIWait(func() { c = k.win.Content() })
		return c == k.tabs
	})
	if d := k.svc.Device(); d != "laptop" {
		t.Errorf("signed in as %q, want the old computer's name", d)
	}
}

// With an API key built in, a person types only the Connection ID and the
// Apps Password: Test connection says which node InfiniCLOUD named, and
// signing in backs up there.
func TestOnboardingFindsTheNode(t *testing.T) {
	e := testenv.StartEmulator(t, func(c *emulator.Config) { c.NodeHost = "kumo1.teracloud.jp" })
	defer func(k string) { account.AppAPIKey = k }(account.AppAPIKey)
	account.AppAPIKey = e.APIKey
	k := newTestApp(t, service.Options{RootCAs: e.Pool(), DialContext: e.DialContext})
	o := k.onboard
	if ph := read(func() string { return o.url.PlaceHolder }); !strings.Contains(ph, "leave empty") {
		t.Errorf("the URL field should say it may be left empty: %q", ph)
	}
	typeText(o.user, e.User)
	typeText(o.password, e.AppsPassword)
	tap(o.test)
	eventually(t, "a working connection", 20*time.Second, func() bool { return strings.HasPrefix(text(o.result), "The connection works") })
	if got := text(o.result); !strings.Contains(got, "kumo1.teracloud.jp") || !strings.Contains(got, "used") {
		t.Errorf("the result should name the node found and the storage: %q", got)
	}
	tap(o.signIn)
	eventually(t, "the main screens", 20*time.Second, func() bool {
		var c fyne.CanvasObject
		onUIWait(func() { c = k.win.Content() })
		return c == k.tabs
	})
	if cfg := k.svc.Config(); cfg.Account == nil || cfg.Account.URL != "https://kumo1.teracloud.jp/backup/" {
		t.Fatalf("signed in to %+v", cfg.Account)
	}
	src := filepath.Join(t.TempDir(), "Music")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 10, MaxSize: 2 << 10, Seed: 2, MaxDepth: 1})
	if err := k.svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Up to date", 30*time.Second, func() bool { return text(k.status.line) == "Up to date" })
	testenv.AssertSameTree(t, src, filepath.Join(e.AreaDir(e.User, "backup"), service.DefaultDevice(), "Music"))
}
