package service_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// network is a dialer whose connections all drop when it goes offline.
type network struct {
	offline atomic.Bool
	mu      sync.Mutex
	conns   []net.Conn
}

func (n *network) dial(ctx context.Context, proto, addr string) (net.Conn, error) {
	if n.offline.Load() {
		return nil, &net.OpError{Op: "dial", Net: proto, Err: syscall.ENETUNREACH}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, proto, addr)
	if err == nil {
		n.mu.Lock()
		n.conns = append(n.conns, c)
		n.mu.Unlock()
	}
	return c, err
}

func (n *network) setOffline(off bool) {
	n.offline.Store(off)
	if off {
		n.mu.Lock()
		for _, c := range n.conns {
			c.Close()
		}
		n.conns = nil
		n.mu.Unlock()
	}
}

// lateWatch counts how often a folder starts being late, as the app would
// notify: once per episode.
type lateWatch struct {
	mu      sync.Mutex
	last    service.Status
	started int
}

func (w *lateWatch) onChange(st service.Status) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(st.Late) > 0 && len(w.last.Late) == 0 {
		w.started++
	}
	w.last = st
}

func (w *lateWatch) get() (service.Status, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last, w.started
}

// A laptop loses its network while a change waits: nothing is said for 24
// hours, then once (however long it lasts), with what stops it; the next
// backup clears it. Days of ordinary success with nothing to send say
// nothing. A restart after four days away that cannot connect says so
// after a grace for catching up, and signing in again clears it.
func TestLateBackupWarnsOnceAndClearsOnSuccess(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:") // no keyring: a restart has no password
	clock := testenv.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local))
	e := testenv.StartEmulator(t)
	var net network
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	w := &lateWatch{}
	open := func() *service.Service {
		svc, err := service.New(service.Options{ConfigPath: cfgPath, RootCAs: e.Pool(), NoKeyring: true, Now: clock.Now,
			DialContext: net.dial, PauseCheck: 10 * time.Millisecond, OnChange: w.onChange})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	login := service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup, User: e.User,
		Device: "laptop", Password: e.AppsPassword}
	svc := open()
	defer func() { svc.Close() }()
	if err := svc.SignIn(context.Background(), login, false); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "Notes")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string) {
		if err := os.WriteFile(filepath.Join(src, name), []byte("text of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("note-0.txt")
	if err := svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	onServer := func(name string) bool {
		_, err := os.Stat(filepath.Join(e.AreaDir(e.User, "backup"), "laptop", "Notes", name))
		return err == nil
	}
	testenv.Eventually(t, "the first note on the server", 20*time.Second, func() bool { return onServer("note-0.txt") })
	clock.Advance(10 * time.Minute) // past the grace a start has to catch up

	// Four days of ordinary success, nothing to send: not a word.
	for range 8 {
		clock.Advance(12 * time.Hour)
		time.Sleep(50 * time.Millisecond)
	}
	if st, n := w.get(); n != 0 || len(st.Late) != 0 {
		t.Fatalf("four quiet, backed-up days made Kumo warn %d times: %v", n, st.Late)
	}

	// The network goes; a change waits.
	net.setOffline(true)
	write("note-1.txt")
	testenv.Eventually(t, "the change to be noticed", 20*time.Second, func() bool {
		st, _ := w.get()
		return st.State == service.Busy || len(st.Problems) > 0
	})
	clock.Advance(23 * time.Hour)
	time.Sleep(200 * time.Millisecond)
	if st, n := w.get(); n != 0 {
		t.Fatalf("after 23 hours Kumo already warns: %v", st.Late)
	}
	clock.Advance(time.Hour + time.Minute)
	testenv.Eventually(t, "the warning after 24 hours", 5*time.Second, func() bool { _, n := w.get(); return n == 1 })
	st, _ := w.get()
	if len(st.Late) != 1 || st.Late[0].Folder != src || !strings.HasPrefix(st.Late[0].Message, "Notes has not been backed up since yesterday ") {
		t.Fatalf("the warning is %+v", st.Late)
	}
	for range 6 { // days more without a network: still the one warning
		clock.Advance(12 * time.Hour)
		time.Sleep(50 * time.Millisecond)
	}
	if st, n := w.get(); n != 1 || len(st.Late) != 1 {
		t.Fatalf("a long outage warned %d times (want 1), now %v", n, st.Late)
	}
	t.Logf("warned once: %q", st.Late[0].Message)

	net.setOffline(false)
	svc.BackUpNow()
	testenv.Eventually(t, "the waiting note on the server and the warning gone", 30*time.Second, func() bool {
		st, _ := w.get()
		return onServer("note-1.txt") && len(st.Late) == 0
	})

	// Kumo quits; the laptop stays off four days; it starts without its
	// password (no keyring here), so it cannot connect.
	svc.Close()
	clock.Advance(4 * 24 * time.Hour)
	svc = open()
	if err := svc.Start(); err == nil {
		t.Fatal("a start without the password connected")
	}
	time.Sleep(100 * time.Millisecond)
	if st, n := w.get(); n != 1 || len(st.Late) != 0 {
		t.Fatalf("right after the start Kumo warns already (%d, %v): it has had no chance to catch up", n, st.Late)
	}
	clock.Advance(11 * time.Minute)
	testenv.Eventually(t, "the warning that the laptop has not backed up for four days", 5*time.Second, func() bool { _, n := w.get(); return n == 2 })
	st, _ = w.get()
	if !strings.Contains(st.Late[0].Message, "not connected") {
		t.Errorf("the warning does not say why: %q", st.Late[0].Message)
	}
	if err := svc.SignIn(context.Background(), login, false); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the warning gone after signing in again", 30*time.Second, func() bool { st, _ := w.get(); return len(st.Late) == 0 })
	if _, n := w.get(); n != 2 {
		t.Errorf("%d warnings, want one per episode (2)", n)
	}
}

// Another computer of the account stopped backing up a week ago: this one
// shows it, from what that computer left on the server alone.
func TestOtherComputersLastBackupFromTheServer(t *testing.T) {
	e := testenv.StartEmulator(t)
	week := time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local)
	backUp := func(device string, at time.Time) *service.Service {
		t.Setenv("XDG_CACHE_HOME", t.TempDir()) // each computer its own index
		clock := testenv.NewClock(at)
		svc, err := service.New(service.Options{ConfigPath: filepath.Join(t.TempDir(), "config.json"), RootCAs: e.Pool(), NoKeyring: true, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		login := service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup, User: e.User,
			Device: device, Password: e.AppsPassword}
		if err := svc.SignIn(context.Background(), login, false); err != nil {
			t.Fatal(err)
		}
		src := filepath.Join(t.TempDir(), "Documents")
		testenv.WriteTree(t, src, testenv.TreeSpec{Files: 3, MaxSize: 1 << 10, Seed: 3})
		if err := svc.AddFolder(src, nil); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	record := filepath.Join(e.AreaDir(e.User, "backup"), "desktop", ".kumo-last-backup.json")
	desktop := backUp("desktop", week)
	testenv.Eventually(t, "the desktop's record of its last backup on the server", 20*time.Second, func() bool {
		_, err := os.Stat(record)
		return err == nil
	})
	desktop.Close()

	laptop := backUp("laptop", week.Add(7*24*time.Hour))
	defer laptop.Close()
	var st service.Status
	testenv.Eventually(t, "the desktop listed in the laptop's status", 20*time.Second, func() bool {
		st = laptop.Status()
		return len(st.Computers) == 1
	})
	c := st.Computers[0]
	if c.Name != "desktop" || !c.LastBackup.Equal(week) {
		t.Errorf("the laptop lists %q, last backed up %v; want desktop, %v", c.Name, c.LastBackup, week)
	}
	if _, err := os.Stat(record); errors.Is(err, os.ErrNotExist) {
		t.Fatal("the record is gone")
	}
}
