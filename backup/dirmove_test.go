package backup_test

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/watcher"
)

// treeOf maps every file (to its content) and folder (to "/") under root:
// what a person comparing two trees looks at.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			out[rel] = "/"
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffTrees(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for _, rel := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[rel]; !ok {
			t.Errorf("%s: %s is missing", what, rel)
		} else if g != want[rel] {
			t.Errorf("%s: %s differs", what, rel)
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[rel]; !ok {
			t.Errorf("%s: %s should not be there", what, rel)
		}
	}
}

// Against Apache and the emulator: a folder of 1,000 files renamed on the
// disk is one MOVE on the server and no upload; moved into another folder
// with one file edited and one deleted, it is one MOVE for the folder plus
// the two versions and the one upload; empty folders, a tree of them
// included, are on the server and in the history. After every pass the
// server's current tree, folders included, is the disk's, and each moment
// restores onto an empty folder as the disk was then, empty folders too.
func TestFolderRenameIsOneMove(t *testing.T) {
	for name, start := range servers() {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			src := filepath.Join(testenv.TempDir(t), "Docs")
			for i := range 1000 {
				writeFile(t, src, fmt.Sprintf("Photos/%d/写真%04d.jpg", i%10, i), fmt.Sprintf("photo %d", i))
			}
			writeFile(t, src, "Other/x.txt", "x")
			os.MkdirAll(filepath.Join(src, "Photos", "empty"), 0o755)
			client := srv.client(t, srv.pass)
			index := filepath.Join(testenv.TempDir(t), "index.db")
			clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			remote := filepath.Join(srv.dataDir, "pc", "Docs")
			type moment struct {
				at   time.Time
				tree map[string]string
			}
			var moments []moment
			pass := func(what string) *backup.Summary {
				t.Helper()
				clock = clock.Add(time.Hour)
				now := clock
				sum, err := backup.RunOnce(context.Background(), client, backup.Options{Root: src, Device: "pc", IndexPath: index,
					Now: func() time.Time { return now }})
				if err != nil || len(sum.Failed) > 0 {
					t.Fatal(what, err, sum.Failed)
				}
				diffTrees(t, what+": the server's current tree against the disk", treeOf(t, src), treeOf(t, remote))
				at, _ := format.ParseStamp(sum.Moment)
				moments = append(moments, moment{at, treeOf(t, src)})
				return sum
			}
			counted := func(f func()) (moves, puts int) {
				m, p := srv.count("MOVE"), srv.count("PUT")
				f()
				return srv.count("MOVE") - m, srv.count("PUT") - p
			}
			pass("first backup")

			if err := os.Rename(filepath.Join(src, "Photos"), filepath.Join(src, "Pictures")); err != nil {
				t.Fatal(err)
			}
			var sum *backup.Summary
			moves, puts := counted(func() { sum = pass("folder renamed") })
			if moves != 1 || puts != 1 || sum.Files != 0 || sum.FoldersMoved != 1 || sum.Moved != 1000 {
				t.Errorf("renaming a folder of 1,000 files: %d MOVE and %d PUT (want 1, and 1 for the moment's record), summary %+v", moves, puts, sum)
			}

			os.MkdirAll(filepath.Join(src, "Other", "Albums"), 0o755)
			if err := os.Rename(filepath.Join(src, "Pictures"), filepath.Join(src, "Other", "Albums", "Pictures")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, src, "Other/Albums/Pictures/3/写真0003.jpg", "edited, longer")
			os.Remove(filepath.Join(src, "Other", "Albums", "Pictures", "4", "写真0004.jpg"))
			moves, puts = counted(func() { sum = pass("folder moved, a file edited and one deleted") })
			if moves != 3 || puts != 2 || sum.Files != 1 || sum.FoldersMoved != 1 || sum.Versioned != 2 {
				t.Errorf("moving it with an edit and a deletion: %d MOVE and %d PUT (want 1 for the folder + 2 versions, 1 upload + 1 record), summary %+v", moves, puts, sum)
			}
			versions := filepath.Join(srv.dataDir, "pc", ".kumo", "versions", "Docs")
			for _, f := range []string{"Pictures/3/写真0003.jpg", "Pictures/4/写真0004.jpg"} {
				found := versionsOf(t, versions, f)
				if len(found) != 1 {
					t.Errorf("%s: %d versions under its name before the move, want its content kept once", f, len(found))
				}
			}

			for _, d := range []string{"Empty/a/b/c", "Empty/d", "Other/Albums/Pictures/blank"} {
				os.MkdirAll(filepath.Join(src, filepath.FromSlash(d)), 0o755)
			}
			pass("empty folders made")
			testenv.RemoveTree(filepath.Join(src, "Empty", "a", "b"))
			if err := os.Rename(filepath.Join(src, "Empty", "d"), filepath.Join(src, "Empty", "e")); err != nil {
				t.Fatal(err)
			}
			moves, _ = counted(func() { sum = pass("an empty folder renamed, another deleted") })
			// An empty folder is known by its inode; Windows gives none
			// without opening each folder, so there it is made anew instead.
			if want := 1; runtime.GOOS != "windows" && (moves != want || sum.FoldersMoved != want) {
				t.Errorf("renaming an empty folder: %d MOVE, summary %+v", moves, sum)
			}

			for i, m := range moments {
				v, err := restore.Open(context.Background(), client, "pc", "Docs", m.at)
				if err != nil {
					t.Fatal(err)
				}
				to := testenv.TempDir(t)
				rs, err := v.Restore(context.Background(), restore.Options{To: to})
				if err != nil || len(rs.Failed) > 0 {
					t.Fatalf("restoring moment %d: %v %v", i, err, rs.Failed)
				}
				diffTrees(t, fmt.Sprintf("moment %d restored", i), m.tree, treeOf(t, to))
			}
		})
	}
}

// A watcher may name a new folder's files and not the folder: a pass over
// the old folder's name and one file under the new one still moves the
// whole folder as one.
func TestScopedPassFindsWholeFolders(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Docs")
	for i := range 40 {
		writeFile(t, src, fmt.Sprintf("Trip/day%d/%03d.txt", i%4, i), fmt.Sprintf("note %d", i))
	}
	eng, err := backup.New(srv.client(t, srv.pass), backup.Options{Root: src, Device: "pc", IndexPath: filepath.Join(testenv.TempDir(t), "index.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	if _, err := eng.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(src, "Trip"), filepath.Join(src, "Voyage")); err != nil {
		t.Fatal(err)
	}
	moves := srv.count("MOVE")
	sum, err := eng.Sync(ctx, watcher.Batch{Paths: []string{"Trip", "Voyage/day0/000.txt"}})
	if err != nil || sum.FoldersMoved != 1 || sum.Moved != 40 || srv.count("MOVE")-moves != 1 {
		t.Fatalf("a pass naming the old folder and one new file: %v, %d MOVE, %+v", err, srv.count("MOVE")-moves, sum)
	}
	diffTrees(t, "after the rename", treeOf(t, src), treeOf(t, filepath.Join(srv.dataDir, "pc", "Docs")))
}
