package backup_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/watcher"
)

// dirsIn lists the folders under root, relative and sorted.
func dirsIn(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// Against Apache and the emulator: a deleted folder and a renamed one's old
// name leave no empty skeleton in the current tree, which keeps the disk's
// folders (empty ones too) after every pass; the deleted files are in the
// versions, and a folder left out by a pattern is left as it is.
func TestGoneFoldersLeaveTheCurrentTree(t *testing.T) {
	for name, start := range servers() {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			src := filepath.Join(testenv.TempDir(t), "Docs")
			for _, f := range []string{"A/a1.txt", "A/a2.txt", "A/deep/d1.txt", "B/b1.txt", "B/sub/b2.txt", "Keep/k.txt", "Out/o.txt"} {
				writeFile(t, src, f, "content of "+f)
			}
			for _, d := range []string{"C", "D/E"} {
				os.MkdirAll(filepath.Join(src, d), 0o755)
			}
			client := srv.client(t, srv.pass)
			index := filepath.Join(testenv.TempDir(t), "index.db")
			pass := func(excludes ...string) *backup.Summary {
				t.Helper()
				sum, err := backup.RunOnce(context.Background(), client, backup.Options{Root: src, Device: "pc", IndexPath: index,
					Filter: watcher.NewFilter(excludes...)})
				if err != nil || len(sum.Failed) > 0 {
					t.Fatal(err, sum.Failed)
				}
				return sum
			}
			remote := filepath.Join(srv.dataDir, "pc", "Docs")
			pass()
			if got, want := dirsIn(t, remote), dirsIn(t, src); !slices.Equal(got, want) {
				t.Fatalf("after the first pass the server's folders are %q, the disk's %q", got, want)
			}

			testenv.RemoveTree(filepath.Join(src, "B"))
			testenv.RemoveTree(filepath.Join(src, "D"))
			if err := os.Rename(filepath.Join(src, "A"), filepath.Join(src, "A2")); err != nil {
				t.Fatal(err)
			}
			deletes := srv.count("DELETE")
			sum := pass("Out/")
			want := dirsIn(t, src) // Out is left out from now on: what the server has of it stays
			if got := dirsIn(t, remote); !slices.Equal(got, want) {
				t.Errorf("after deleting B and D and renaming A, the server's folders are %q, want %q", got, want)
			}
			if sum.FoldersRemoved != 4 || sum.FoldersMoved != 1 { // B, B/sub, D, D/E; A moved whole
				t.Errorf("%d folders removed and %d moved, want 4 and 1", sum.FoldersRemoved, sum.FoldersMoved)
			}
			if n := srv.count("DELETE") - deletes; n != 4 {
				t.Errorf("%d DELETEs for 4 gone folders", n)
			}
			versions := filepath.Join(srv.dataDir, "pc", ".kumo", "versions", "Docs")
			for _, f := range []string{"B/b1.txt", "B/sub/b2.txt"} {
				if len(versionsOf(t, versions, f)) != 1 {
					t.Errorf("%s is not in the versions after its folder was deleted", f)
				}
			}
			if _, err := os.Stat(filepath.Join(remote, "Out", "o.txt")); err != nil {
				t.Errorf("the left-out folder's file went: %v", err)
			}
			// Nothing more to do on the next pass.
			deletes = srv.count("DELETE")
			if sum := pass("Out/"); sum.FoldersRemoved != 0 || srv.count("DELETE") != deletes {
				t.Errorf("a pass with nothing gone removed %d folders", sum.FoldersRemoved)
			}
		})
	}
}
