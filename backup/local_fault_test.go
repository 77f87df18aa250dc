package backup_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

// A backed-up drive is unplugged: its mount point stays, empty. Kumo says
// the drive is not there and marks nothing deleted; plugged in again, it
// carries on without sending anything twice. A folder that is removed
// outright is waited for the same way.
func TestUnmountedDriveIsNotEverythingDeleted(t *testing.T) {
	dir := testenv.TempDir(t)
	drive := filepath.Join(dir, "USB Drive")
	os.Mkdir(drive, 0o755)
	unmount := testenv.Mount(t, drive, 64<<20)
	testenv.WriteTree(t, drive, testenv.TreeSpec{Files: 300, MaxSize: 8 << 10, Seed: 11, MaxDepth: 2})
	saved := filepath.Join(dir, "what the drive holds")
	if out, err := exec.Command("cp", "-a", drive, saved).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}

	e := testenv.StartEmulator(t)
	client, err := transport.New(transport.Config{URL: e.DAVURL("backup"), User: e.User, Password: e.AppsPassword, RootCAs: e.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	eng, err := backup.New(client, backup.Options{Root: drive, Device: "pc"})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	out := make(chan outcome, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		eng.Watch(ctx, backup.WatchOptions{Quiet: 100 * time.Millisecond, FolderPoll: 100 * time.Millisecond,
			OnPass: func(s *backup.Summary, err error) { out <- outcome{s, err} }})
		close(done)
	}()
	defer func() { cancel(); <-done }()
	if o := next(t, out, 30*time.Second); o.err != nil {
		t.Fatal(o.err)
	}
	server := filepath.Join(e.AreaDir(e.User, "backup"), "pc", "USB Drive")
	testenv.AssertSameTree(t, saved, server)
	moves, puts := e.Requests("MOVE"), e.Requests("PUT")

	unmount()
	eng.Rescan() // as "Back up now", the six-hourly pass, or waking from sleep would
	var o outcome
	for o = next(t, out, 10*time.Second); o.err == nil; o = next(t, out, 10*time.Second) {
	}
	if !errors.Is(o.err, backup.ErrFolderUnmounted) || !strings.Contains(o.err.Error(), "drive") {
		t.Fatalf("a pass over the unplugged drive ended with %v", o.err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := e.Requests("MOVE") - moves; n != 0 {
		t.Errorf("%d files moved into the versions as if deleted", n)
	}
	if n := e.Requests("PUT") - puts; n != 0 {
		t.Errorf("%d uploads (a catalog of an empty folder?) while the drive was out", n)
	}
	files, _ := testenv.AssertSameTree(t, saved, server)

	// Plugged in again: a new mount (another device number, new inodes)
	// whose files all appear at once, as a drive's do.
	staging := filepath.Join(dir, "staging")
	os.Mkdir(staging, 0o755)
	testenv.Mount(t, staging, 64<<20)
	if out, err := exec.Command("cp", "-a", saved+"/.", staging).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := exec.Command("mount", "--bind", staging, drive).CombinedOutput(); err != nil {
		t.Fatalf("mount --bind: %v %s", err, out)
	}
	unmount = func() { exec.Command("umount", drive).Run() }
	t.Cleanup(func() { exec.Command("umount", "-l", drive).Run() })
	for o = next(t, out, 10*time.Second); o.err != nil; o = next(t, out, 10*time.Second) {
	}
	if n := e.Requests("PUT") - puts; n > 1 {
		t.Errorf("%d uploads after the drive came back with the same files; want at most a catalog", n)
	}
	testenv.AssertSameTree(t, saved, server)
	t.Logf("%d files kept on the server while the drive was out: 0 moves, 0 uploads; back with %d upload(s)",
		files, e.Requests("PUT")-puts)

	// The folder removed outright: waited for, and backed up when back.
	unmount()
	os.Remove(drive)
	eng.Rescan()
	for o = next(t, out, 10*time.Second); !backup.FolderUnavailable(o.err); o = next(t, out, 10*time.Second) {
	}
	os.Mkdir(drive, 0o755)
	os.WriteFile(filepath.Join(drive, "new start.txt"), []byte("a new drive"), 0o644)
	for o = next(t, out, 10*time.Second); o.err != nil; o = next(t, out, 10*time.Second) {
	}
}

// Files whose permissions change mid-run are reported, one sentence each,
// while the rest are backed up; readable again, they follow on the next pass.
func TestPermissionsChangeMidRun(t *testing.T) {
	if testenv.AsOrdinaryUser(t) {
		return
	}
	e := testenv.StartEmulator(t)
	src := filepath.Join(testenv.TempDir(t), "Shared")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 400, MaxSize: 4 << 10, Seed: 13, MaxDepth: 2})
	client, err := transport.New(transport.Config{URL: e.DAVURL("backup"), User: e.User, Password: e.AppsPassword, RootCAs: e.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var scanned atomic.Bool
	eng, err := backup.New(client, backup.Options{Root: src, Device: "pc",
		OnProgress: func(p backup.Progress) {
			if p.FilesTotal > 0 {
				scanned.Store(true)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	eng.Pause() // the scan runs, the uploads wait: change permissions between
	type result struct {
		sum *backup.Summary
		err error
	}
	res := make(chan result, 1)
	go func() { s, err := eng.Pass(context.Background()); res <- result{s, err} }()
	testenv.Eventually(t, "the scan", 10*time.Second, scanned.Load)
	locked := testenv.Files(src, func(name string) bool { return strings.HasSuffix(name, "7.dat") })
	for _, p := range locked {
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
	}
	eng.Resume()
	r := <-res
	if r.err != nil {
		t.Fatalf("the pass stopped: %v", r.err)
	}
	if len(r.sum.Failed) != len(locked) {
		t.Errorf("%d files failed, %d were made unreadable", len(r.sum.Failed), len(locked))
	}
	for _, f := range r.sum.Failed {
		if msg := f.Err.Error(); !strings.Contains(msg, "permission denied") || !strings.Contains(msg, "allow Kumo to read it") {
			t.Errorf("%s: %q does not say what to do", f.Path, msg)
		}
	}
	for _, p := range locked {
		os.Chmod(p, 0o644)
	}
	sum, err := eng.Pass(context.Background())
	if err != nil || len(sum.Failed) != 0 || sum.Files != int64(len(locked)) {
		t.Fatalf("readable again: %v, %d failed, %d uploaded (want %d)", err, len(sum.Failed), sum.Files, len(locked))
	}
	files, _ := testenv.AssertSameTree(t, src, filepath.Join(e.AreaDir(e.User, "backup"), "pc", "Shared"))
	t.Logf("%d files made unreadable mid-run were reported and backed up on the next pass; %d files identical", len(locked), files)
}
