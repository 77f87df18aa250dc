//go:build windows

package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// What a Windows computer does that others do not, run under Wine by make
// test-windows against the in-process emulator.

// windowsPass backs up src once to srv as the computer "win".
func windowsPass(t *testing.T, srv server, src, index string) *backup.Summary {
	t.Helper()
	sum, err := backup.RunOnce(context.Background(), srv.client(t, srv.pass), backup.Options{Root: src, Device: "win", IndexPath: index})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// A file another program holds open without sharing it is left with a
// sentence saying why; the rest is backed up, and the file on the next
// pass once the program lets go.
func TestWindowsFileHeldOpenIsTakenNextPass(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Docs")
	writeFile(t, src, "held.xlsx", "the spreadsheet")
	writeFile(t, src, "free.txt", "free")
	index := filepath.Join(testenv.TempDir(t), "index.db")
	name, _ := syscall.UTF16PtrFromString(filepath.Join(src, "held.xlsx"))
	h, err := syscall.CreateFile(name, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil, syscall.OPEN_EXISTING, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatal(err)
	}
	sum := windowsPass(t, srv, src, index)
	syscall.CloseHandle(h)
	if len(sum.Failed) != 1 || sum.Failed[0].Path != "held.xlsx" || !strings.Contains(sum.Failed[0].Err.Error(), "another program has this file open") {
		t.Fatalf("a file held open: failed %v, want held.xlsx with a sentence", sum.Failed)
	}
	remote := filepath.Join(srv.dataDir, "win", "Docs")
	if b, _ := os.ReadFile(filepath.Join(remote, "free.txt")); string(b) != "free" {
		t.Errorf("the other file was not backed up: %q", b)
	}
	if sum := windowsPass(t, srv, src, index); len(sum.Failed) != 0 || sum.Files != 1 {
		t.Errorf("after the program closed it: %+v", sum)
	}
	if b, _ := os.ReadFile(filepath.Join(remote, "held.xlsx")); string(b) != "the spreadsheet" {
		t.Errorf("held.xlsx on the server: %q", b)
	}
}

// A read-only file is backed up, its edit versioned, and a restore with
// overwrite replaces a read-only file already there.
func TestWindowsReadOnlyFile(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Docs")
	writeFile(t, src, "contract.pdf", "signed v1")
	ro := filepath.Join(src, "contract.pdf")
	os.Chmod(ro, 0o444)
	index := filepath.Join(testenv.TempDir(t), "index.db")
	if sum := windowsPass(t, srv, src, index); len(sum.Failed) != 0 || sum.Files != 1 {
		t.Fatalf("first pass: %+v", sum)
	}
	os.Chmod(ro, 0o644)
	os.WriteFile(ro, []byte("signed v2, longer"), 0o644)
	os.Chmod(ro, 0o444)
	if sum := windowsPass(t, srv, src, index); len(sum.Failed) != 0 || sum.Versioned != 1 {
		t.Fatalf("after the edit: %+v", sum)
	}
	to := testenv.TempDir(t)
	os.WriteFile(filepath.Join(to, "contract.pdf"), []byte("stale"), 0o444)
	v, err := restore.Open(context.Background(), srv.client(t, srv.pass), "win", "Docs", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := v.Restore(context.Background(), restore.Options{To: to, Conflict: restore.Overwrite})
	if err != nil || len(rs.Failed) != 0 || rs.Restored != 1 {
		t.Fatalf("restore over a read-only file: %v %+v", err, rs)
	}
	if b, _ := os.ReadFile(filepath.Join(to, "contract.pdf")); string(b) != "signed v2, longer" {
		t.Errorf("restored %q", b)
	}
}

// Paths longer than Windows' old 260-character limit are backed up and
// restored byte for byte.
func TestWindowsLongPaths(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Deep")
	segment := strings.Repeat("フォルダ", 10) // 40 characters
	rel := strings.Repeat(segment+"/", 7) + "長い名前のファイル.txt"
	writeFile(t, src, rel, "far down")
	if n := len([]rune(filepath.Join(src, rel))); n <= 300 {
		t.Fatalf("the path has %d characters, want over 300", n)
	}
	if sum := windowsPass(t, srv, src, filepath.Join(testenv.TempDir(t), "index.db")); len(sum.Failed) != 0 || sum.Files != 1 {
		t.Fatalf("backing up a long path: %+v", sum)
	}
	v, err := restore.Open(context.Background(), srv.client(t, srv.pass), "win", "Deep", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	to := testenv.TempDir(t)
	if rs, err := v.Restore(context.Background(), restore.Options{To: to}); err != nil || len(rs.Failed) != 0 || rs.Restored != 1 {
		t.Fatalf("restoring a long path: %v %+v", err, rs)
	}
	testenv.AssertSameTree(t, src, to)
}

// A file renamed only in case (report.txt to Report.txt, one name to
// Windows) ends as Report.txt alone on the server. (The emulator here
// stores on Wine's case-insensitive disk, so it refuses the MOVE onto what
// it takes for the same name and the engine falls back to version and
// upload; a real, case-sensitive server takes the one MOVE.)
func TestWindowsCaseOnlyRename(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Docs")
	writeFile(t, src, "report.txt", "quarterly figures")
	index := filepath.Join(testenv.TempDir(t), "index.db")
	windowsPass(t, srv, src, index)
	if err := os.Rename(filepath.Join(src, "report.txt"), filepath.Join(src, "Report.txt")); err != nil {
		t.Fatal(err)
	}
	moves, puts := srv.count("MOVE"), srv.count("PUT")
	if sum := windowsPass(t, srv, src, index); len(sum.Failed) != 0 {
		t.Fatalf("a rename in case only: %+v", sum)
	}
	t.Logf("a rename in case only: %d MOVE, %d PUT", srv.count("MOVE")-moves, srv.count("PUT")-puts)
	entries, _ := os.ReadDir(filepath.Join(srv.dataDir, "win", "Docs"))
	if len(entries) != 1 || entries[0].Name() != "Report.txt" {
		t.Errorf("the server's folder holds %v, want Report.txt alone", entries)
	} else if b, _ := os.ReadFile(filepath.Join(srv.dataDir, "win", "Docs", "Report.txt")); string(b) != "quarterly figures" {
		t.Errorf("Report.txt on the server: %q", b)
	}
	if sum := windowsPass(t, srv, src, index); sum.Files+sum.Moved+sum.Versioned != 0 {
		t.Errorf("the pass after the rename still had work: %+v", sum)
	}
}
