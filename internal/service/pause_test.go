package service_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// "Pause for 1 hour" holds every upload while files change, is still in
// force after Kumo restarts (with the time it ends in the status), and ends
// on time by the wall clock: then everything changed meanwhile is sent.
// "Until I resume" survives a restart too, and only Resume ends it.
func TestPauseForAnHourSurvivesRestartAndEndsOnTime(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	clock := testenv.NewClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.Local))
	cfgPath, demo := filepath.Join(t.TempDir(), "config.json"), t.TempDir()
	var mu sync.Mutex
	var last service.Status
	open := func() *service.Service {
		svc, err := service.New(service.Options{ConfigPath: cfgPath, DemoDir: demo, NoKeyring: true, Now: clock.Now,
			PauseCheck: 10 * time.Millisecond, OnChange: func(st service.Status) { mu.Lock(); last = st; mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	status := func() service.Status { mu.Lock(); defer mu.Unlock(); return last }
	src := filepath.Join(t.TempDir(), "Notes")
	write := func(from, to int) {
		for i := from; i < to; i++ {
			if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("note-%03d.txt", i)), []byte(fmt.Sprint("note ", i)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	write(0, 5)

	svc := open()
	if err := svc.StartDemo(); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	onServer := func() int { return countNotes(t, svc.DemoDir()) }
	testenv.Eventually(t, "the first 5 notes on the server", 20*time.Second, func() bool { return onServer() == 5 })

	svc.PauseUntil(clock.Now().Add(time.Hour))
	st := svc.Status()
	if st.State != service.Paused || !strings.HasPrefix(st.Line, "Paused until 10:30") {
		t.Fatalf("paused for an hour at 09:30, the status says %v: %q", st.State, st.Line)
	}
	write(5, 55) // 50 changes while paused
	time.Sleep(2 * time.Second)
	if n := onServer(); n != 5 {
		t.Fatalf("%d notes on the server while paused, want the 5 from before", n)
	}

	svc.Close() // Kumo quits and starts again, 20 minutes later
	clock.Advance(20 * time.Minute)
	svc = open()
	defer func() { svc.Close() }()
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	if st := svc.Status(); st.State != service.Paused || !strings.HasPrefix(st.Line, "Paused until 10:30") {
		t.Fatalf("after a restart the pause is gone: %v %q", st.State, st.Line)
	}
	time.Sleep(2 * time.Second)
	clock.Advance(39 * time.Minute) // 10:29
	time.Sleep(200 * time.Millisecond)
	if n, st := onServer(), svc.Status(); n != 5 || st.State != service.Paused {
		t.Fatalf("a minute before the pause ends: %d notes on the server, state %v", n, st.State)
	}
	clock.Advance(time.Minute) // 10:30
	testenv.Eventually(t, "the pause to end at 10:30", 5*time.Second, func() bool { return status().State != service.Paused })
	testenv.Eventually(t, "the 50 notes changed while paused on the server", 20*time.Second, func() bool { return onServer() == 55 })

	// Until I resume: outlives a restart, however late.
	svc.Pause()
	svc.Close()
	clock.Advance(48 * time.Hour)
	svc = open()
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	write(55, 60)
	time.Sleep(1500 * time.Millisecond)
	if st, n := svc.Status(), onServer(); st.State != service.Paused || n != 55 || !strings.Contains(st.Line, "when you resume") {
		t.Fatalf("paused until resumed, after a restart two days later: %v %q, %d notes on the server", st.State, st.Line, n)
	}
	svc.Resume()
	testenv.Eventually(t, "the last 5 notes after Resume", 20*time.Second, func() bool { return onServer() == 60 })
	if st := svc.Status(); st.State == service.Paused || !st.PausedUntil.IsZero() {
		t.Errorf("after Resume: %v until %v", st.State, st.PausedUntil)
	}
}

// countNotes counts the notes in the demo server's current trees.
func countNotes(t *testing.T, root string) (n int) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "note-") && !strings.Contains(p, ".kumo") && !strings.Contains(p, "versions") {
			n++
		}
		return nil
	})
	return n
}
