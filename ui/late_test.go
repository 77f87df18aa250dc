package ui

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// A change waits over a day (Kumo was paused and forgotten): one
// notification, a warning in the window and the late icon in the tray;
// after Resume the warning goes, and days of ordinary success send nothing.
func TestLateBackupNotifiesOnce(t *testing.T) {
	clock := testenv.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local))
	k := newDemoAppWith(t, service.Options{Now: clock.Now, PauseCheck: 10 * time.Millisecond})
	var mu sync.Mutex
	var late []string
	onUIWait(func() {
		k.onNotify = func(title, msg string) {
			if title == "Kumo has not backed up lately" {
				mu.Lock()
				late = append(late, msg)
				mu.Unlock()
			}
		}
	})
	notified := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), late...) }

	src := filepath.Join(t.TempDir(), "Reports")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "q1.txt"), []byte("first quarter"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := k.svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first backup", 20*time.Second, func() bool { return text(k.status.line) == "Up to date" })
	clock.Advance(11 * time.Minute)
	for range 6 { // three days of quiet success
		clock.Advance(12 * time.Hour)
		time.Sleep(30 * time.Millisecond)
	}
	if n := notified(); len(n) != 0 {
		t.Fatalf("ordinary success notified: %q", n)
	}

	k.svc.Pause()
	if err := os.WriteFile(filepath.Join(src, "q2.txt"), []byte("second quarter"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the change settles and its pass waits at the pause
	// An hour at a time, as days pass: the notification comes once the
	// change has waited 24 hours, never before.
	waited := time.Duration(0)
	for ; waited < 72*time.Hour && len(notified()) == 0; waited += time.Hour {
		time.Sleep(50 * time.Millisecond)
		clock.Advance(time.Hour)
	}
	if n := len(notified()); n != 1 || waited < 24*time.Hour {
		t.Fatalf("%d notifications after the change waited %v, want 1 after 24 hours", n, waited)
	}
	t.Logf("notified once the change had waited %v", waited)
	msg := notified()[0]
	if !strings.HasPrefix(msg, "Reports has not been backed up since ") || !strings.Contains(msg, "Resume") {
		t.Errorf("the notification says %q", msg)
	}
	eventually(t, "the warning in the window", 5*time.Second, func() bool { return text(k.status.late) == msg })
	var st service.Status
	onUIWait(func() { st = k.last })
	if trayIcon(st) != trayLateIcon {
		t.Errorf("the tray icon while late is %v, want the late clock", trayIcon(st).Name())
	}
	for range 4 {
		clock.Advance(12 * time.Hour)
		time.Sleep(30 * time.Millisecond)
	}

	k.svc.Resume()
	eventually(t, "the warning to clear after the backup", 20*time.Second, func() bool {
		var visible bool
		onUIWait(func() { visible, st = k.status.late.Visible(), k.last })
		return !visible && len(st.Late) == 0 && st.State == service.Idle
	})
	if trayIcon(st) == trayLateIcon {
		t.Error("the late icon stays after the backup caught up")
	}
	for range 8 {
		clock.Advance(12 * time.Hour)
		time.Sleep(30 * time.Millisecond)
	}
	if n := notified(); len(n) != 1 {
		t.Errorf("%d notifications, want exactly one: %q", len(n), n)
	}
}

// The account's other computers show in the Status tab with when each last
// had everything backed up; without any, the section is not there.
func TestStatusListsOtherComputers(t *testing.T) {
	k := newDemoApp(t)
	week := time.Now().Add(-7*24*time.Hour - time.Hour)
	st := service.Status{State: service.Idle, Line: "Up to date",
		Computers: []service.Computer{{Name: "desktop", LastBackup: week}, {Name: "old-mac"}}}
	var shown, heading bool
	var lines string
	onUIWait(func() {
		k.status.render(st)
		lines, shown, heading = k.status.others.Text, k.status.others.Visible(), k.status.othersAt.Visible()
	})
	want := "desktop: last backed up 7 days ago (" + week.Local().Format("Mon 2 Jan 15:04") + ")\nold-mac: has not said when it last backed up"
	if !shown || !heading || lines != want {
		t.Errorf("other computers shown %v (heading %v) as %q, want %q", shown, heading, lines, want)
	}
	st.Computers = nil
	onUIWait(func() { k.status.render(st); shown, heading = k.status.others.Visible(), k.status.othersAt.Visible() })
	if shown || heading {
		t.Error("with no other computer the section still shows")
	}
}
