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

func newClient(srv *testenv.Apache, password string) (*transport.Client, error) {
	return transport.New(transport.Config{
		URL: srv.URL, User: srv.User, Password: password, RootCAs: srv.Certs.Pool, Connections: 4,
	})
}

func apacheClient(t *testing.T, srv *testenv.Apache, password string) *transport.Client {
	t.Helper()
	c, err := newClient(srv, password)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A thousand files with awkward names, an empty file and a 20 MiB file land
// on a real mod_dav server byte for byte, each folder created exactly once.
func TestRunOnceToApache(t *testing.T) {
	srv := testenv.StartApache(t)
	src := filepath.Join(t.TempDir(), "My Documents")
	files := testenv.WriteTree(t, src, testenv.TreeSpec{Files: 1000, MaxSize: 8 << 10, BigFile: 20 << 20, Seed: 1, MaxDepth: 4})
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "link-out")); err != nil {
		t.Fatal(err)
	}

	sum, err := backup.RunOnce(context.Background(), apacheClient(t, srv, srv.Password),
		backup.Options{Root: src, Device: "laptop", Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 0 {
		t.Fatalf("failed files: %v", sum.Failed)
	}
	if sum.Files != int64(len(files)) {
		t.Errorf("summary says %d files, the tree has %d", sum.Files, len(files))
	}
	if len(sum.Skipped) != 1 || sum.Skipped[0].Path != "link-out" {
		t.Errorf("the symbolic link should be skipped and reported, got %v", sum.Skipped)
	}

	// Compare on the server's own disk, not through the client.
	os.Remove(filepath.Join(src, "link-out"))
	n, size := testenv.AssertSameTree(t, src, filepath.Join(srv.DataDir, "laptop", "My Documents"))
	t.Logf("compared %d files, %d bytes, on Apache's data directory", n, size)

	puts, mkcols := srv.CountMethod(t, "PUT"), srv.CountMethod(t, "MKCOL")
	if puts != len(files) {
		t.Errorf("%d PUT requests for %d files: every file should take exactly one", puts, len(files))
	}
	var dirs int
	filepath.WalkDir(src, func(_ string, d os.DirEntry, _ error) error {
		if d.IsDir() {
			dirs++
		}
		return nil
	})
	if want := dirs + 1; mkcols != want { // +1 for the device folder
		t.Errorf("%d MKCOL requests for %d folders: each folder should be created exactly once", mkcols, want)
	}
}

// A refused password stops the whole pass with one clear error instead of
// failing a thousand files one by one.
func TestRunOnceWrongPasswordStops(t *testing.T) {
	srv := testenv.StartApache(t)
	src := t.TempDir()
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 50, MaxSize: 100, Seed: 2, MaxDepth: 2})

	_, err := backup.RunOnce(context.Background(), apacheClient(t, srv, "not-the-password"),
		backup.Options{Root: src, Device: "laptop"})
	if err == nil || !strings.Contains(err.Error(), "refused the user name or password") {
		t.Fatalf("want a refused-password error, got %v", err)
	}
	if transport.Classify(err) != transport.ClassAuth {
		t.Errorf("the error should still classify as an auth failure: %v", err)
	}
	refused := 0
	for _, l := range srv.AccessLog(t) {
		if l.Status == 401 {
			refused++
		}
		if l.Method == "PUT" {
			t.Errorf("upload attempted with a refused password: %s", l.Path)
		}
	}
	if refused == 0 {
		t.Error("the server logged no refused request: the pass never reached it")
	}
}

func TestRunOnceRejectsBadInput(t *testing.T) {
	var remote backup.Remote // never reached
	cases := []struct {
		name string
		opts backup.Options
		want string
	}{
		{"missing folder", backup.Options{Root: filepath.Join(t.TempDir(), "nope"), Device: "pc"}, "cannot read the folder"},
		{"device with slash", backup.Options{Root: t.TempDir(), Device: "a/b"}, "contains a slash"},
		{"filesystem root", backup.Options{Root: "/", Device: "pc"}, "choose a folder inside it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := backup.RunOnce(context.Background(), remote, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
}
