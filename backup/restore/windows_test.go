//go:build windows

package restore_test

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

// A backup made on Linux of names Windows refuses or merges (CON, aux.txt,
// a:b.txt, trailing dots and spaces, a.txt beside A.txt, Docs beside docs,
// NFC beside NFD, a 300-character path, an empty folder named aux),
// restored onto this computer's own disk: its rules are found by trying
// it, every file arrives with its bytes, the renamings said beforehand are
// those done, and the list left beside the tree names each one.
// make test-windows serves the backup from Linux (internal/testenv/winserver).
func TestRestoreOntoWindowsForReal(t *testing.T) {
	file := os.Getenv("KUMO_WINDOWS_SERVER")
	if file == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("KUMO_WINDOWS_SERVER is not set: make test-windows serves the Linux backup this test restores")
		}
		t.Skip("make test-windows serves the Linux backup this test restores (KUMO_WINDOWS_SERVER)")
	}
	var srv struct {
		URL, User, Password, Device, Folder, CA string
		Names                                   []string
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &srv); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(srv.CA)) {
		t.Fatal("the server's certificate does not read")
	}
	client, err := transport.New(transport.Config{URL: srv.URL, User: srv.User, Password: srv.Password, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	v, err := restore.Open(ctx, client, srv.Device, srv.Folder, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(testenv.TempDir(t), "Restored")
	preview, rules, err := v.Renamings(to, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rules.Windows || !rules.CaseInsensitive {
		t.Errorf("this Windows disk was found to be %s", rules)
	}
	sum, err := v.Restore(ctx, restore.Options{To: to})
	if err != nil || len(sum.Failed)+len(sum.Skipped)+len(sum.Refused) > 0 {
		t.Fatalf("%v; failed %v skipped %v refused %v", err, sum.Failed, sum.Skipped, sum.Refused)
	}
	if sum.Restored != len(srv.Names) {
		t.Errorf("%d files restored, the backup has %d", sum.Restored, len(srv.Names))
	}
	if !slices.Equal(preview, sum.Renamings) {
		t.Errorf("the renamings said before the restore differ from those done:\n%v\n%v", preview, sum.Renamings)
	}
	// Each file says which name it had: every one is there exactly once.
	found := map[string]string{}
	err = filepath.WalkDir(to, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == sum.ListFile {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(to, p)
		if name, ok := strings.CutPrefix(string(b), testenv.AwkwardContent("")); ok {
			if other, dup := found[name]; dup {
				t.Errorf("%s is restored twice: %s and %s", name, other, rel)
			}
			found[name] = filepath.ToSlash(rel)
		} else {
			t.Errorf("%s holds %q, no file of the backup", rel, b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range srv.Names {
		if _, ok := found[name]; !ok {
			t.Errorf("%q did not arrive", name)
		}
	}
	if st, err := os.Stat(filepath.Join(to, "ａux")); err != nil || !st.IsDir() {
		t.Errorf("the empty folder aux is not there as ａux: %v", err)
	}
	t.Logf("found to be %s; %d renamings, e.g. %v", rules, len(sum.Renamings), sum.Renamings[:min(4, len(sum.Renamings))])

	// The list beside the tree names every renaming, each written name there.
	f, err := os.Open(sum.ListFile)
	if err != nil {
		t.Fatalf("the list of renamings: %v", err)
	}
	defer f.Close()
	lines := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if lines++; lines == 1 {
			continue // the header
		}
		written, _, _ := strings.Cut(sc.Text(), "\t")
		if _, err := os.Lstat(filepath.Join(to, filepath.FromSlash(written))); err != nil {
			t.Errorf("the list names %q, which is not in the restored tree: %v", written, err)
		}
	}
	if lines-1 != len(sum.Renamings) {
		t.Errorf("the list has %d renamings, the summary %d", lines-1, len(sum.Renamings))
	}
}
