package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
)

func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// versionsOf returns the contents of every version of rel, oldest first.
func versionsOf(t *testing.T, versionsRoot, rel string) []string {
	t.Helper()
	dir := filepath.Join(versionsRoot, filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		if !strings.Contains(n, "~") || filepath.Ext(n) != filepath.Ext(rel) {
			t.Errorf("version %s of %s is not named <since>~<superseded>%s", n, rel, filepath.Ext(rel))
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// The life of a folder: every change reaches the server, nothing replaced
// or deleted is lost before retention says so, renames cost one MOVE, and
// an unchanged folder costs no upload at all.
func TestLifecycleVersionsAndRetention(t *testing.T) {
	for name, start := range servers() {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			src := filepath.Join(testenv.TempDir(t), "Work")
			for rel, content := range map[string]string{
				"a.txt": "alpha-1", "b.txt": "bravo", "c.txt": "charlie", "dir1/d.txt": "delta content",
				"dir1/e.bin": strings.Repeat("echo", 4096), "f.txt": "foxtrot-0",
			} {
				writeFile(t, src, rel, content)
			}
			t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			clock := testenv.NewClock(t0)
			client := srv.client(t, srv.pass)
			opts := backup.Options{Root: src, Device: "pc", IndexPath: filepath.Join(testenv.TempDir(t), "index.db"), Now: clock.Now,
				Retention: backup.Retention{KeepAll: 30 * time.Hour, Daily: 10 * 24 * time.Hour, Weekly: 20 * 24 * time.Hour}}
			pass := func(at time.Time) *backup.Summary {
				t.Helper()
				clock.Set(at)
				e, err := backup.New(client, opts)
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				sum, err := e.Pass(context.Background())
				if err != nil || len(sum.Failed) > 0 {
					t.Fatalf("pass at %v: %v %v", at, err, sum.Failed)
				}
				return sum
			}
			current := filepath.Join(srv.dataDir, "pc", "Work")
			versions := filepath.Join(srv.dataDir, "pc", ".kumo", "versions", "Work")
			delta := func(method string, fn func()) int {
				before := srv.count(method)
				fn()
				return srv.count(method) - before
			}

			pass(t0)
			testenv.AssertSameTree(t, src, current)
			if n := delta("PUT", func() { pass(t0.Add(time.Second)) }); n != 0 {
				t.Errorf("an unchanged folder sent %d PUT requests", n)
			}

			writeFile(t, src, "a.txt", "alpha-2")
			sum := pass(t0.Add(1 * time.Minute))
			if got := versionsOf(t, versions, "a.txt"); len(got) != 1 || got[0] != "alpha-1" {
				t.Errorf("modified a.txt: versions %q, want the old content", got)
			}
			if sum.Files != 1 || sum.Versioned != 1 {
				t.Errorf("modify: %+v", sum)
			}

			touched := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(src, "b.txt"), touched, touched)
			if n := delta("PUT", func() { sum = pass(t0.Add(2 * time.Minute)) }); n != 1 || sum.Files != 0 {
				t.Errorf("a touched file was uploaded again: %d PUT (1 is the catalog), %d files", n, sum.Files)
			}

			os.Remove(filepath.Join(src, "c.txt"))
			pass(t0.Add(3 * time.Minute))
			if got := versionsOf(t, versions, "c.txt"); len(got) != 1 || got[0] != "charlie" {
				t.Errorf("deleted c.txt: versions %q, want its content kept", got)
			}

			os.Rename(filepath.Join(src, "dir1/d.txt"), filepath.Join(src, "dir1/d-renamed.txt"))
			os.MkdirAll(filepath.Join(src, "dir2"), 0o755)
			os.Rename(filepath.Join(src, "dir1/e.bin"), filepath.Join(src, "dir2/e.bin"))
			var puts int
			moves := delta("MOVE", func() { puts = delta("PUT", func() { sum = pass(t0.Add(4 * time.Minute)) }) })
			if moves != 2 || puts != 1 || sum.Moved != 2 {
				t.Errorf("two renames: %d MOVE, %d PUT (want 2 and the catalog's 1), summary %+v", moves, puts, sum)
			}
			if versionsOf(t, versions, "dir1/d.txt") != nil {
				t.Error("a renamed file must not leave a version behind")
			}

			writeFile(t, src, "c.txt", "charlie-2")
			pass(t0.Add(5 * time.Minute))
			testenv.AssertSameTree(t, src, current)
			if got := versionsOf(t, versions, "c.txt"); len(got) != 1 || got[0] != "charlie" {
				t.Errorf("re-created c.txt: versions %q", got)
			}

			// Three edits of f.txt within minutes, then time passes.
			for i := 1; i <= 3; i++ {
				writeFile(t, src, "f.txt", "foxtrot-"+string(rune('0'+i)))
				pass(t0.Add(time.Duration(5+i) * time.Minute))
			}
			if got := versionsOf(t, versions, "f.txt"); len(got) != 3 {
				t.Fatalf("f.txt: %d versions, want 3", len(got))
			}
			pass(t0.Add(26 * time.Hour)) // within KeepAll: everything stays
			if n := len(versionsOf(t, versions, "f.txt")); n != 3 || versionsOf(t, versions, "c.txt") == nil {
				t.Errorf("within KeepAll retention removed versions: f.txt has %d", n)
			}
			sum = pass(t0.Add(3 * 24 * time.Hour)) // daily: the day's last version of each file
			if got := versionsOf(t, versions, "f.txt"); len(got) != 1 || got[0] != "foxtrot-2" {
				t.Errorf("daily retention: f.txt versions %q, want only the day's last", got)
			}
			if got := versionsOf(t, versions, "c.txt"); len(got) != 1 {
				t.Errorf("daily retention removed the deleted file's only version: %q", got)
			}
			if sum.Pruned < 2 {
				t.Errorf("pruned %d", sum.Pruned)
			}
			pass(t0.Add(25 * 24 * time.Hour)) // beyond Weekly: gone
			for _, rel := range []string{"a.txt", "c.txt", "f.txt"} {
				if got := versionsOf(t, versions, rel); len(got) != 0 {
					t.Errorf("past retention, %s still has versions %q", rel, got)
				}
			}
			testenv.AssertSameTree(t, src, current)
			catalogs, _ := os.ReadDir(filepath.Join(srv.dataDir, "pc", ".kumo", "catalogs", "Work"))
			if len(catalogs) == 0 || len(catalogs) > 3 {
				t.Errorf("%d catalogs left after retention", len(catalogs))
			}
		})
	}
}

// A lost index costs a rescan, never data: the server's catalog rebuilds
// it, nothing is uploaded again, and a file changed meanwhile is versioned.
func TestLostIndexRebuildsFromCatalog(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Photos")
	files := testenv.WriteTree(t, src, testenv.TreeSpec{Files: 200, MaxSize: 2 << 10, Seed: 4, MaxDepth: 2})
	client := srv.client(t, srv.pass)
	index := filepath.Join(testenv.TempDir(t), "index.db")
	opts := backup.Options{Root: src, Device: "pc", IndexPath: index}
	if _, err := backup.RunOnce(context.Background(), client, opts); err != nil {
		t.Fatal(err)
	}
	os.Remove(index)
	changed := files[len(files)-1]
	old, _ := os.ReadFile(filepath.Join(src, changed))
	writeFile(t, src, changed, "changed while the index was gone")

	puts := srv.count("PUT")
	sum, err := backup.RunOnce(context.Background(), client, opts)
	if err != nil || len(sum.Failed) > 0 {
		t.Fatal(err, sum.Failed)
	}
	if n := srv.count("PUT") - puts; n != 2 || sum.Files != 1 { // the changed file and a catalog
		t.Errorf("after losing the index: %d PUT, %d files uploaded; want only the changed file and a catalog", n, sum.Files)
	}
	testenv.AssertSameTree(t, src, filepath.Join(srv.dataDir, "pc", "Photos"))
	got := versionsOf(t, filepath.Join(srv.dataDir, "pc", ".kumo", "versions", "Photos"), changed)
	if len(got) != 1 || got[0] != string(old) {
		t.Errorf("the server's earlier content of %s was not kept as a version", changed)
	}
}

// With neither index nor catalog (an old install, a damaged server folder),
// an upload never replaces a server copy it does not know: the copy is kept
// as a version first.
func TestNoIndexNoCatalogNeverClobbers(t *testing.T) {
	srv := servers()["apache"](t)
	src := filepath.Join(testenv.TempDir(t), "Notes")
	writeFile(t, src, "plan.txt", "first draft")
	writeFile(t, src, "same.txt", "unchanged")
	client := srv.client(t, srv.pass)
	index := filepath.Join(testenv.TempDir(t), "index.db")
	opts := backup.Options{Root: src, Device: "pc", IndexPath: index}
	if _, err := backup.RunOnce(context.Background(), client, opts); err != nil {
		t.Fatal(err)
	}
	os.Remove(index)
	testenv.RemoveTree(filepath.Join(srv.dataDir, "pc", ".kumo", "catalogs"))
	writeFile(t, src, "plan.txt", "second draft")

	sum, err := backup.RunOnce(context.Background(), client, opts)
	if err != nil || len(sum.Failed) > 0 {
		t.Fatal(err, sum.Failed)
	}
	testenv.AssertSameTree(t, src, filepath.Join(srv.dataDir, "pc", "Notes"))
	got := versionsOf(t, filepath.Join(srv.dataDir, "pc", ".kumo", "versions", "Notes"), "plan.txt")
	if len(got) != 1 || got[0] != "first draft" {
		t.Errorf("the unknown server copy of plan.txt was not kept: versions %q", got)
	}
}
