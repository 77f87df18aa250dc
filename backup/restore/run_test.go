package restore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

// backedUp backs up files to the emulator and returns a client and the source.
func backedUp(t *testing.T, files map[string]string, cfg func(*transport.Config)) (*transport.Client, string) {
	t.Helper()
	c, e := emulatorClient(t)
	src := filepath.Join(testenv.TempDir(t), "Docs")
	for rel, content := range files {
		write(t, src, rel, content, 0o644)
	}
	if _, err := backup.RunOnce(context.Background(), c, backup.Options{Root: src, Device: "pc"}); err != nil {
		t.Fatal(err)
	}
	if cfg == nil {
		return c, src
	}
	conf := transport.Config{URL: e.DAVURL("backup"), User: e.User, Password: e.AppsPassword, RootCAs: e.Pool(), Connections: 4}
	cfg(&conf)
	slow, err := transport.New(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(slow.Close)
	return slow, src
}

// Existing files are replaced only when the policy says so; identical ones
// are left alone; keep-both names the second copy by its moment.
func TestConflictPolicies(t *testing.T) {
	client, _ := backedUp(t, map[string]string{"same.txt": "same", "diff.txt": "from the backup", "new.txt": "new"}, nil)
	ctx := context.Background()
	v, err := restore.Open(ctx, client, "pc", "Docs", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		policy              restore.Conflict
		diff                string // diff.txt afterwards
		restored, unchanged int
		extra               string // a file beside, for keep-both
	}{
		{policy: restore.Skip, diff: "edited locally", restored: 1, unchanged: 1},
		{policy: restore.Overwrite, diff: "from the backup", restored: 2, unchanged: 1},
		{policy: restore.KeepBoth, diff: "edited locally", restored: 2, unchanged: 1, extra: "diff (from "},
	} {
		t.Run(tc.policy.String(), func(t *testing.T) {
			to := testenv.TempDir(t)
			write(t, to, "same.txt", "same", 0o644)
			write(t, to, "diff.txt", "edited locally", 0o644)
			sum, err := v.Restore(ctx, restore.Options{To: to, Conflict: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(filepath.Join(to, "diff.txt")); string(got) != tc.diff {
				t.Errorf("diff.txt = %q, want %q", got, tc.diff)
			}
			if sum.Restored != tc.restored || sum.Unchanged != tc.unchanged {
				t.Errorf("restored %d unchanged %d, want %d and %d (%+v)", sum.Restored, sum.Unchanged, tc.restored, tc.unchanged, sum)
			}
			entries, _ := os.ReadDir(to)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if tc.extra != "" {
				if len(names) != 4 || len(sum.Renamed) != 1 {
					t.Fatalf("files %q, renamed %v: want the restored copy beside diff.txt", names, sum.Renamed)
				}
				for _, n := range names {
					if strings.HasPrefix(n, tc.extra) {
						if got, _ := os.ReadFile(filepath.Join(to, n)); string(got) != "from the backup" {
							t.Errorf("%s = %q", n, got)
						}
					}
				}
			} else if len(names) != 3 {
				t.Errorf("files %q, want exactly the three", names)
			}
			if tc.policy == restore.Skip && (len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].Reason, "kept")) {
				t.Errorf("skipped %v: want diff.txt with a reason", sum.Skipped)
			}
		})
	}
}

// Restoring a selection writes only the selection.
func TestRestoreSelection(t *testing.T) {
	client, _ := backedUp(t, map[string]string{"a/1.txt": "1", "a/2.txt": "2", "b/3.txt": "3", "c.txt": "c"}, nil)
	ctx := context.Background()
	v, err := restore.Open(ctx, client, "pc", "Docs", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if nodes := v.Children(""); len(nodes) != 3 || !nodes[0].IsDir || nodes[0].Files != 2 || nodes[2].Name != "c.txt" {
		t.Errorf("top of the snapshot: %+v", nodes)
	}
	if found := v.Search("3 B", 0); len(found) != 1 || found[0].Path != "b/3.txt" {
		t.Errorf("search: %+v", found)
	}
	to := testenv.TempDir(t)
	sum, err := v.Restore(ctx, restore.Options{To: to, Paths: []string{"a", "c.txt"}})
	if err != nil || sum.Restored != 3 {
		t.Fatalf("restored %+v, %v", sum, err)
	}
	if _, err := os.Stat(filepath.Join(to, "b")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("b was restored though not selected")
	}
}

// Cancelling in the middle leaves only complete files: no partial file and
// no temporary file, and what was restored matches the backup.
func TestCancelLeavesNoPartialFile(t *testing.T) {
	files := map[string]string{}
	for i := range 12 {
		files[fmt.Sprintf("f%02d.bin", i)] = strings.Repeat(fmt.Sprintf("%02d", i), 256<<10) // 512 KiB each
	}
	client, src := backedUp(t, files, func(c *transport.Config) { c.DownloadLimit = 2 << 20 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := restore.Open(ctx, client, "pc", "Docs", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var cancelledAt atomic.Int64
	to := testenv.TempDir(t)
	sum, err := v.Restore(ctx, restore.Options{To: to, Workers: 2, OnProgress: func(p restore.Progress) {
		if p.FilesDone >= 2 && cancelledAt.Load() == 0 {
			cancelledAt.Store(p.BytesDone)
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("restore ended with %v, want cancelled", err)
	}
	entries, _ := os.ReadDir(to)
	if len(entries) == 0 || len(entries) >= len(files) {
		t.Fatalf("%d files restored before the cancel: want some, not all", len(entries))
	}
	for _, e := range entries {
		got, _ := os.ReadFile(filepath.Join(to, e.Name()))
		want, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is left behind after the cancel, %d bytes, not a complete restored file", e.Name(), len(got))
		}
	}
	t.Logf("cancelled at %d bytes: %d complete files, %d restored in the summary, no partial file", cancelledAt.Load(), len(entries), sum.Restored)
}
