package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

// Against Apache with mod_dir, as the service's nodes answer (a collection
// without its trailing slash is a 301): a first backup, a folder renamed, a
// folder deleted and files edited, then a second pass. Every file on disk
// is on the server with its bytes, every deleted or replaced content is in
// the versions, and no request was turned into a GET by a redirect.
func TestBackupAgainstApacheWithModDir(t *testing.T) {
	srv := testenv.StartApache(t, testenv.ModDir())
	c, err := transport.New(transport.Config{URL: srv.URL, User: srv.User, Password: srv.Password, RootCAs: srv.Certs.Pool})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src := filepath.Join(testenv.TempDir(t), "Papers")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 120, MaxSize: 4 << 10, Seed: 21, MaxDepth: 3})
	for _, f := range []string{"old/a.txt", "old/b.txt", "gone/c.txt", "gone/deep/d.txt", "edit.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(src, f)), 0o755)
		os.WriteFile(filepath.Join(src, f), []byte("first "+f), 0o644)
	}
	opts := backup.Options{Root: src, Device: "desk", IndexPath: filepath.Join(testenv.TempDir(t), "index.db")}
	if sum, err := backup.RunOnce(context.Background(), c, opts); err != nil || len(sum.Failed) > 0 {
		t.Fatalf("first backup: %v %+v", err, sum)
	}
	// A collection asked for without its slash is a 301 here: the request
	// is sent again to the slashed address with its own method.
	ctx := context.Background()
	if err := c.Mkdir(ctx, "probe"); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Exists(ctx, "probe"); !ok || err != nil {
		t.Fatalf("PROPFIND of a collection without its slash: %v %v", ok, err)
	}
	if err := c.Move(ctx, "probe", "probe2", false); err != nil {
		t.Fatalf("MOVE of a collection without its slash: %v", err)
	}
	if err := c.Delete(ctx, "probe2"); err != nil {
		t.Fatalf("DELETE of a collection without its slash: %v", err)
	}
	for _, d := range []string{"probe", "probe2"} {
		if _, err := os.Stat(filepath.Join(srv.DataDir, d)); !os.IsNotExist(err) {
			t.Fatalf("%s is still on the server after a MOVE and a DELETE reported done: %v", d, err)
		}
	}
	if n := countStatus(t, srv, 301); n < 3 {
		t.Fatalf("%d answers were 301; mod_dir should have redirected the PROPFIND, MOVE and DELETE", n)
	}

	os.Rename(filepath.Join(src, "old"), filepath.Join(src, "new"))
	testenv.RemoveTree(filepath.Join(src, "gone"))
	os.WriteFile(filepath.Join(src, "edit.txt"), []byte("second, longer"), 0o644)
	sum, err := backup.RunOnce(context.Background(), c, opts)
	if err != nil || len(sum.Failed) > 0 {
		t.Fatalf("second backup: %v %+v", err, sum)
	}
	server := filepath.Join(srv.DataDir, "desk", "Papers")
	assertSameFiles(t, src, server)
	versions := filepath.Join(srv.DataDir, "desk", ".kumo", "versions", "Papers")
	for _, f := range []string{"gone/c.txt", "gone/deep/d.txt", "edit.txt"} {
		found := testenv.Files(filepath.Join(versions, filepath.FromSlash(f)), func(string) bool { return true })
		if len(found) != 1 {
			t.Errorf("%s: %d versions, want its old content kept once", f, len(found))
			continue
		}
		if b, _ := os.ReadFile(found[0]); string(b) != "first "+f {
			t.Errorf("%s: the version holds %q", f, b)
		}
	}
	for _, l := range srv.AccessLog(t) {
		if l.Method == "GET" && !strings.Contains(l.Path, "/.kumo/") {
			t.Errorf("a redirect turned a request into a GET: %s %s %d", l.Method, l.Path, l.Status)
		}
	}
	t.Logf("%d answers were 301 (collections without their slash), each sent again with its method", countStatus(t, srv, 301))
}

func countStatus(t *testing.T, srv *testenv.Apache, code int) int {
	n := 0
	for _, l := range srv.AccessLog(t) {
		if l.Status == code {
			n++
		}
	}
	return n
}

// assertSameFiles compares the files of two trees (folders left empty on
// the server by a rename or a deletion are not compared).
func assertSameFiles(t *testing.T, want, got string) {
	t.Helper()
	list := func(root string) map[string]string {
		m := map[string]string{}
		for _, p := range testenv.Files(root, func(string) bool { return true }) {
			rel, _ := filepath.Rel(root, p)
			b, _ := os.ReadFile(p)
			m[filepath.ToSlash(rel)] = string(b)
		}
		return m
	}
	w, g := list(want), list(got)
	for rel, content := range w {
		if gc, ok := g[rel]; !ok || gc != content {
			t.Errorf("%s: not on the server as on disk", rel)
		}
	}
	for rel := range g {
		if _, ok := w[rel]; !ok {
			t.Errorf("unexpected on the server: %s", rel)
		}
	}
}
