package restore_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

func emulatorClient(t *testing.T) (*transport.Client, *testenv.Emulated) {
	t.Helper()
	e := testenv.StartEmulator(t)
	c, err := transport.New(transport.Config{URL: e.DAVURL("backup"), User: e.User, Password: e.AppsPassword, RootCAs: e.Pool(), Connections: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, e
}

func apacheClient(t *testing.T) *transport.Client {
	t.Helper()
	a := testenv.StartApache(t)
	c, err := transport.New(transport.Config{URL: a.URL, User: a.User, Password: a.Password, RootCAs: a.Certs.Pool, Connections: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func write(t *testing.T, root, rel, content string, mode fs.FileMode) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// copyTree keeps what a folder is at one moment: contents, modes, times, links.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, data, info.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(out, info.ModTime(), info.ModTime())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assertRestored checks what a user would: the same files byte for byte,
// the same modification times and permissions, the same links, nothing else.
func assertRestored(t *testing.T, want, got string) int {
	t.Helper()
	files, _ := testenv.AssertSameTree(t, want, got)
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		wi, _ := os.Lstat(p)
		gi, err := os.Lstat(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s: not restored: %v", rel, err)
			return nil
		}
		if wi.Mode()&fs.ModeSymlink != 0 {
			wt, _ := os.Readlink(p)
			gt, err := os.Readlink(filepath.Join(got, rel))
			if err != nil || wt != gt {
				t.Errorf("%s: link restored as %q (%v), want a link to %q", rel, gt, err, wt)
			}
			return nil
		}
		if wi.Mode().Perm() != gi.Mode().Perm() {
			t.Errorf("%s: mode %v, want %v", rel, gi.Mode().Perm(), wi.Mode().Perm())
		}
		if !wi.ModTime().Equal(gi.ModTime()) {
			t.Errorf("%s: modified %v, want %v", rel, gi.ModTime(), wi.ModTime())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Disaster recovery: a folder backed up over three moments with edits,
// deletions, a rename and a change after the rename; then the index is lost
// and each moment is restored onto an empty folder from the server alone.
func TestRestoreEachMomentAfterLosingEverythingLocal(t *testing.T) {
	servers := map[string]func(t *testing.T) *transport.Client{
		"emulator": func(t *testing.T) *transport.Client { c, _ := emulatorClient(t); return c },
		"apache":   apacheClient,
	}
	if runtime.GOOS == "windows" {
		delete(servers, "apache") // a Linux fixture
	}
	for name, connect := range servers {
		t.Run(name, func(t *testing.T) {
			client := connect(t)
			ctx := context.Background()
			tmp := testenv.TempDir(t)
			src := filepath.Join(tmp, "Documents")
			index := filepath.Join(tmp, "index.db")
			clk := testenv.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			opts := backup.Options{Root: src, Device: "laptop", IndexPath: index, Now: clk.Now}

			write(t, src, "notes.txt", "first notes", 0o644)
			write(t, src, "old.txt", "soon deleted", 0o600)
			write(t, src, "photos/big.bin", strings.Repeat("0123456789abcdef", 64<<10), 0o644)
			write(t, src, "photos/2026/é ü 日本.txt", "unicode name", 0o644)
			write(t, src, "bin/run.sh", "#!/bin/sh\necho hi\n", 0o755)
			write(t, src, "empty", "", 0o644)
			if err := os.Symlink("notes.txt", filepath.Join(src, "latest")); err != nil {
				t.Fatal(err)
			}
			var moments []time.Time
			var wants []string
			snap := func(label string) {
				if _, err := backup.RunOnce(ctx, client, opts); err != nil {
					t.Fatalf("backup at %s: %v", label, err)
				}
				moments = append(moments, clk.Now().Add(time.Minute))
				want := filepath.Join(tmp, "want-"+label)
				copyTree(t, src, want)
				wants = append(wants, want)
			}
			snap("1")

			clk.Set(clk.Now().Add(time.Hour))
			write(t, src, "notes.txt", "second notes, longer than the first", 0o644)
			os.Remove(filepath.Join(src, "old.txt"))
			if err := os.MkdirAll(filepath.Join(src, "archive"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(src, "photos/big.bin"), filepath.Join(src, "archive/big.bin")); err != nil {
				t.Fatal(err)
			}
			write(t, src, "new.txt", "added at two", 0o644)
			snap("2")

			clk.Set(clk.Now().Add(time.Hour))
			write(t, src, "notes.txt", "third", 0o644)
			write(t, src, "archive/big.bin", strings.Repeat("changed after the rename", 1000), 0o644)
			write(t, src, "old.txt", "back, with new content", 0o644)
			snap("3")

			// The laptop dies: no index, no config, an empty disk.
			if err := os.Remove(index); err != nil {
				t.Fatal(err)
			}
			folders, err := restore.Folders(ctx, client, "laptop")
			if err != nil || len(folders) != 1 || folders[0] != "Documents" {
				t.Fatalf("folders of laptop = %v, %v; want [Documents]", folders, err)
			}
			snaps, err := restore.Snapshots(ctx, client, "laptop", "Documents")
			if err != nil || len(snaps) != 3 {
				t.Fatalf("snapshots = %v, %v; want 3", snaps, err)
			}
			for i, at := range moments {
				v, err := restore.Open(ctx, client, "laptop", "Documents", at)
				if err != nil {
					t.Fatalf("open moment %d: %v", i+1, err)
				}
				if v.Snapshot != snaps[i] {
					t.Fatalf("moment %d opened snapshot %s, want %s", i+1, v.Snapshot.Stamp, snaps[i].Stamp)
				}
				area := filepath.Join(tmp, "restore-"+v.Snapshot.Stamp)
				to := filepath.Join(area, "Documents")
				sum, err := v.Restore(ctx, restore.Options{To: to})
				if err != nil {
					t.Fatalf("restore moment %d: %v", i+1, err)
				}
				if len(sum.Failed) > 0 || len(sum.Refused) > 0 || len(sum.Skipped) > 0 {
					t.Fatalf("moment %d: failed %v refused %v skipped %v", i+1, sum.Failed, sum.Refused, sum.Skipped)
				}
				files := assertRestored(t, wants[i], to)
				if entries, _ := os.ReadDir(area); len(entries) != 1 {
					t.Errorf("the restore wrote beside its destination: %v", entries)
				}
				t.Logf("moment %d (%s): %d files, %d restored, %d bytes, %v", i+1, v.Snapshot.Stamp, files, sum.Restored, sum.Bytes, sum.Duration)

				rep, err := v.Verify(ctx, restore.VerifyOptions{All: true})
				if err != nil || len(rep.Problems) > 0 || rep.Hashed != rep.Files || rep.SizesOK != rep.Files {
					t.Errorf("verify moment %d: %+v, %v", i+1, rep, err)
				}
			}
		})
	}
}
