package backup_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/format"
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
	t.Cleanup(c.Close) // before the server stops: it would wait on idle connections
	return c
}

// server is a WebDAV server the engine backs up to, inspected on its own disk.
type server struct {
	client  func(t *testing.T, password string) *transport.Client
	dataDir string                  // the area's folder on the server's disk
	count   func(method string) int // requests received, by method
	refused func() int              // requests answered 401
	pass    string
}

// servers are Apache and the emulator; on Windows (make test-windows,
// under Wine) the emulator alone, Apache being a Linux fixture.
func servers() map[string]func(t *testing.T) server {
	all := allServers()
	if runtime.GOOS == "windows" {
		delete(all, "apache")
	}
	return all
}

func allServers() map[string]func(t *testing.T) server {
	return map[string]func(t *testing.T) server{
		"apache": func(t *testing.T) server {
			srv := testenv.StartApache(t)
			return server{
				client:  func(t *testing.T, pw string) *transport.Client { return apacheClient(t, srv, pw) },
				dataDir: srv.DataDir,
				count:   func(m string) int { return srv.CountMethod(t, m) },
				refused: func() int {
					n := 0
					for _, l := range srv.AccessLog(t) {
						if l.Status == 401 {
							n++
						}
					}
					return n
				},
				pass: srv.Password,
			}
		},
		"emulator": func(t *testing.T) server {
			e := testenv.StartEmulator(t)
			return server{
				client: func(t *testing.T, pw string) *transport.Client {
					c, err := transport.New(transport.Config{URL: e.DAVURL("backup"), User: e.User, Password: pw, RootCAs: e.Pool(), Connections: 4})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(c.Close)
					return c
				},
				dataDir: e.AreaDir(e.User, "backup"),
				count:   func(m string) int { return int(e.Requests(m)) },
				refused: func() int { return int(e.Refused()) },
				pass:    e.AppsPassword,
			}
		},
	}
}

// A thousand files with awkward names, an empty file and a 20 MiB file land
// on the server byte for byte, each folder created exactly once.
func TestRunOnceEndToEnd(t *testing.T) {
	for name, start := range servers() {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			src := filepath.Join(testenv.TempDir(t), "My Documents")
			files := testenv.WriteTree(t, src, testenv.TreeSpec{Files: 1000, MaxSize: 8 << 10, BigFile: 20 << 20, Seed: 1, MaxDepth: 4})
			if err := os.Symlink("/etc/passwd", filepath.Join(src, "link-out")); err != nil {
				t.Fatal(err)
			}

			sum, err := backup.RunOnce(context.Background(), srv.client(t, srv.pass),
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
			if len(sum.Skipped) != 0 {
				t.Errorf("nothing should be skipped: %v", sum.Skipped)
			}
			// The link is recorded in the catalog, not followed or uploaded.
			cat := readCatalog(t, filepath.Join(srv.dataDir, sum.Record))
			if link, ok := cat["link-out"]; !ok || link.Link != "/etc/passwd" {
				t.Errorf("the catalog should record the symbolic link and its target: %+v", link)
			}
			folders := 0
			for _, e := range cat {
				if fs.FileMode(e.Mode).IsDir() {
					folders++
				}
			}
			if want := len(dirsIn(t, src)); folders != want {
				t.Errorf("the catalog records %d folders, the tree has %d", folders, want)
			}
			if len(cat)-folders != len(files)+1 {
				t.Errorf("the catalog has %d entries for %d files, a link and %d folders", len(cat), len(files), folders)
			}

			// Compare on the server's own disk, not through the client.
			os.Remove(filepath.Join(src, "link-out"))
			n, size := testenv.AssertSameTree(t, src, filepath.Join(srv.dataDir, "laptop", "My Documents"))
			t.Logf("compared %d files, %d bytes, on the server's data directory; the pass took %v", n, size, sum.Duration)

			if puts := srv.count("PUT"); puts != len(files)+1 { // +1: the catalog
				t.Errorf("%d PUT requests for %d files and a catalog: every file should take exactly one", puts, len(files))
			}
			var dirs int
			filepath.WalkDir(src, func(_ string, d os.DirEntry, _ error) error {
				if d.IsDir() {
					dirs++
				}
				return nil
			})
			// +1 for the device folder, +3 for .kumo/catalogs/<folder>.
			if mkcols, want := srv.count("MKCOL"), dirs+1+3; mkcols != want {
				t.Errorf("%d MKCOL requests for %d folders: each folder should be created exactly once", mkcols, want)
			}
		})
	}
}

// A refused password stops the whole pass with one clear error instead of
// failing a thousand files one by one.
func TestRunOnceWrongPasswordStops(t *testing.T) {
	for name, start := range servers() {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			src := testenv.TempDir(t)
			testenv.WriteTree(t, src, testenv.TreeSpec{Files: 50, MaxSize: 100, Seed: 2, MaxDepth: 2})

			_, err := backup.RunOnce(context.Background(), srv.client(t, "not-the-password"),
				backup.Options{Root: src, Device: "laptop"})
			if err == nil || !strings.Contains(err.Error(), "refused the user name or password") {
				t.Fatalf("want a refused-password error, got %v", err)
			}
			if transport.Classify(err) != transport.ClassAuth {
				t.Errorf("the error should still classify as an auth failure: %v", err)
			}
			if n := srv.count("PUT"); n != 0 {
				t.Errorf("%d uploads attempted with a refused password", n)
			}
			if srv.refused() == 0 {
				t.Error("the server refused nothing: the pass never reached it")
			}
		})
	}
}

func TestRunOnceRejectsBadInput(t *testing.T) {
	var remote backup.Remote // never reached
	cases := []struct {
		name string
		opts backup.Options
		want string
	}{
		{"missing folder", backup.Options{Root: filepath.Join(testenv.TempDir(t), "nope"), Device: "pc"}, "is its drive connected"},
		{"device with slash", backup.Options{Root: testenv.TempDir(t), Device: "a/b"}, "contains a slash"},
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

// readCatalog decodes a catalog from the server's disk, by path.
func readCatalog(t *testing.T, file string) map[string]format.CatalogEntry {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	defer f.Close()
	_, entries, err := format.DecodeCatalog(f)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]format.CatalogEntry{}
	for _, e := range entries {
		m[e.Path] = e
	}
	return m
}
