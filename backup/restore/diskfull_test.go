package restore_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// The disk fills while restoring: the restore stops with a sentence, every
// file it left is whole and identical, no temporary file remains, and once
// space is freed the same restore completes.
func TestDiskFillsWhileRestoring(t *testing.T) {
	client, _ := emulatorClient(t)
	src := filepath.Join(testenv.TempDir(t), "Docs")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 120, MaxSize: 64 << 10, BigFile: 1 << 20, Seed: 17, MaxDepth: 2})
	os.Remove(filepath.Join(src, "empty folder")) // catalogs hold files, not empty folders (docs/restore.md)
	if _, err := backup.RunOnce(context.Background(), client, backup.Options{Root: src, Device: "pc"}); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(testenv.TempDir(t), "small disk")
	os.Mkdir(disk, 0o755)
	testenv.Mount(t, disk, 8<<20) // the tree is about 5 MiB
	// Something else already takes half the disk.
	filler := filepath.Join(disk, "someone else's file")
	if err := os.WriteFile(filler, make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(disk, "restored")

	ctx := context.Background()
	v, err := restore.Open(ctx, client, "pc", "Docs", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := v.Restore(ctx, restore.Options{To: to, Workers: 4})
	if err == nil || !strings.Contains(err.Error(), "disk is full") || !strings.Contains(err.Error(), "free some space") {
		t.Fatalf("restoring onto a full disk ended with %v (%+v)", err, sum)
	}
	whole := checkOnlyWholeFiles(t, src, to)
	if whole == 0 {
		t.Error("nothing was restored before the disk filled: the test did not fill it mid-restore")
	}

	os.Remove(filler)
	sum, err = v.Restore(ctx, restore.Options{To: to, Workers: 4})
	if err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	files, bytes := testenv.AssertSameTree(t, src, to)
	t.Logf("disk full after %d whole files (no partial or temporary file left); after freeing 4 MiB: %d restored, %d already there, %d files (%d bytes) identical",
		whole, sum.Restored, sum.Unchanged, files, bytes)
}

// checkOnlyWholeFiles fails on any file under to that is not identical to
// its source, or is a temporary file; it returns how many files it saw.
func checkOnlyWholeFiles(t *testing.T, src, to string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(to, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(to, p)
		if strings.Contains(d.Name(), ".kumo-restore-") {
			t.Errorf("a temporary file was left behind: %s", rel)
			return nil
		}
		got, _ := os.ReadFile(p)
		want, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is not the file that was backed up (%d bytes, want %d)", rel, len(got), len(want))
		}
		n++
		return nil
	})
	return n
}
