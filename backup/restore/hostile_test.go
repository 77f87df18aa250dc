package restore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

type entry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	MTime  int64  `json:"mtime"`
	Mode   uint32 `json:"mode"`
	SHA256 string `json:"sha256,omitempty"`
	Since  string `json:"since,omitempty"`
	Link   string `json:"link,omitempty"`
}

// writeCatalog writes a catalog straight into the server's storage, as a
// hostile or corrupted server would serve it.
func writeCatalog(t *testing.T, area, device, folder, stamp string, entries []entry) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	_ = enc.Encode(map[string]any{"kumo_catalog": 1, "device": device, "folder": folder, "time": stamp})
	for _, e := range entries {
		_ = enc.Encode(e)
	}
	zw.Close()
	dir := filepath.Join(area, device, ".kumo", "catalogs", folder)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stamp+".jsonl.gz"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileState is what a walk records of one path, to compare before and after.
type fileState struct {
	mode fs.FileMode
	data string
}

func walkState(t *testing.T, root string) map[string]fileState {
	t.Helper()
	state := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		s := fileState{mode: info.Mode()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			s.data, _ = os.Readlink(p)
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			s.data = string(b)
		}
		state[p] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// hostileListing serves the emulator's area, except that the list of a
// device's backed-up folders also names "..", "../../etc" and a backslash.
func hostileListing(t *testing.T, upstream *url.URL, pool *x509.CertPool) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	const dir = "/backup/dev/.kumo/catalogs/"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PROPFIND" || r.URL.Path != dir {
			proxy.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><D:multistatus xmlns:D="DAV:">`)
		for _, href := range []string{dir, dir + "Docs/", dir + "../", dir + "..%2F..%2Fetc/", dir + "a%5Cb/", "/etc/"} {
			fmt.Fprintf(w, `<D:response><D:href>%s</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`, href)
		}
		fmt.Fprint(w, `</D:multistatus>`)
	}))
	t.Cleanup(srv.Close)
	p := x509.NewCertPool()
	p.AddCert(srv.Certificate())
	return srv, p
}

// A server whose listings and catalog name files outside the destination,
// with absolute paths, ".." and NUL bytes, links that lead out, a local link
// planted to lead out, and copies that lie about their size or content: the
// restore refuses each with a reason and writes nothing anywhere but the
// safe files inside the destination. Names with a drive letter or a
// backslash are names on Linux, and land inside as such (Windows' rules
// write them full-width: TestRestoreOntoWindowsRules).
func TestHostileServerWritesNothingOutsideTheDestination(t *testing.T) {
	_, e := emulatorClient(t)
	area := e.AreaDir(e.User, "backup")
	upstream, _ := url.Parse(e.URL)
	srv, pool := hostileListing(t, upstream, e.Pool())
	client, err := transport.New(transport.Config{URL: srv.URL + "/backup/", User: e.User, Password: e.AppsPassword, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	const since = "20260301T080000.000Z"
	put := func(rel, content string) {
		p := filepath.Join(area, "dev", "Docs", filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("ok.txt", "fine")
	put("trap/file.txt", "through a planted link")
	put("liar.txt", strings.Repeat("x", 1<<20))
	put("forged.txt", "evil")
	asNames := []string{"C:/win.txt", "c:escape.txt", `..\escape.txt`}
	for _, p := range asNames {
		put(p, "just a name")
	}
	file := func(p, content string) entry {
		return entry{Path: p, Size: int64(len(content)), Mode: 0o644, SHA256: sha(content), Since: since}
	}
	hostile := []string{"../escape.txt", "../../escape.txt", "../../../escape.txt", "/tmp/abs-escape.txt", "nul\x00.txt", "a/./b.txt", "a//b.txt", "a/../../escape.txt", "", ".", "..", "ok.txt/"}
	var entries []entry
	for _, p := range hostile {
		entries = append(entries, file(p, "evil"))
	}
	for _, p := range asNames {
		entries = append(entries, file(p, "just a name"))
	}
	entries = append(entries,
		file("ok.txt", "fine"),
		file("ok.txt", "fine, listed twice"),
		file("trap/file.txt", "through a planted link"),
		entry{Path: "liar.txt", Size: 4, Mode: 0o644, SHA256: sha("xxxx"), Since: since},
		entry{Path: "forged.txt", Size: 4, Mode: 0o644, SHA256: sha("good"), Since: since},
		entry{Path: "out", Link: "../../outside", Since: since},
		entry{Path: "deep/out", Link: "../../../outside", Since: since},
		entry{Path: "abs", Link: "/etc", Since: since},
		entry{Path: "in", Link: "ok.txt", Since: since},
	)
	writeCatalog(t, area, "dev", "Docs", "20260301T090000.000Z", entries)

	ctx := context.Background()
	folders, err := restore.Folders(ctx, client, "dev")
	if err != nil || !slices.Contains(folders, "Docs") {
		t.Fatalf("folders = %q, %v; want Docs among them", folders, err)
	}
	for _, f := range folders {
		if f == "." || f == ".." || strings.ContainsAny(f, `/\`) {
			t.Errorf("the hostile listing's name %q was offered as a folder", f)
		}
	}
	if _, err := restore.Folders(ctx, client, ".."); err == nil {
		t.Error("a device named .. was accepted")
	}

	sandbox := testenv.TempDir(t)
	outside := filepath.Join(sandbox, "outside")
	dest := filepath.Join(sandbox, "a", "b", "dest")
	for _, d := range []string{outside, dest} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "canary"), []byte("untouched"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dest, "trap")); err != nil {
		t.Fatal(err)
	}
	before := walkState(t, sandbox)

	v, err := restore.Open(ctx, client, "dev", "Docs", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := v.Restore(ctx, restore.Options{To: dest, Conflict: restore.Overwrite})
	if err != nil {
		t.Fatal(err)
	}

	after := walkState(t, sandbox)
	for p, s := range after {
		rel, _ := filepath.Rel(dest, p)
		if b, ok := before[p]; ok && b == s {
			continue
		}
		switch rel {
		case ".", "ok.txt", "in", "C:", "C:/win.txt", "c:escape.txt", `..\escape.txt`:
			continue // the destination folder's time, the two safe files and the names
		}
		t.Errorf("the restore wrote %s (%v)", p, s.mode)
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("the restore removed %s", p)
		}
	}
	for _, p := range asNames {
		if got, _ := os.ReadFile(filepath.Join(dest, filepath.FromSlash(p))); string(got) != "just a name" {
			t.Errorf("%s was not restored inside the destination under its name: %q", p, got)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "ok.txt")); string(got) != "fine" {
		t.Errorf("ok.txt = %q, want the first entry's content", got)
	}
	if target, _ := os.Readlink(filepath.Join(dest, "in")); target != "ok.txt" {
		t.Errorf("the safe link in = %q", target)
	}
	if _, err := os.Lstat("/tmp/abs-escape.txt"); err == nil {
		t.Error("an absolute path from the catalog was written")
	}

	reasons := map[string]string{}
	for _, n := range append(append(sum.Refused, sum.Failed...), sum.Skipped...) {
		reasons[n.Path] = n.Reason
	}
	for _, p := range append(hostile, "trap/file.txt", "liar.txt", "forged.txt", "out", "deep/out", "abs") {
		if reasons[p] == "" {
			t.Errorf("%q: no reason given for not restoring it", p)
		}
	}
	if !strings.Contains(reasons["trap/file.txt"], "outside the destination") {
		t.Errorf("trap/file.txt: reason %q does not say it would leave the destination", reasons["trap/file.txt"])
	}
	if !strings.Contains(reasons["forged.txt"], "content hash") || !strings.Contains(reasons["liar.txt"], "bytes") {
		t.Errorf("forged.txt: %q; liar.txt: %q", reasons["forged.txt"], reasons["liar.txt"])
	}
	t.Logf("restored %d, refused %d, failed %d, skipped %d; %d paths around the destination unchanged",
		sum.Restored, len(sum.Refused), len(sum.Failed), len(sum.Skipped), len(before))
	for _, n := range append(sum.Refused, sum.Failed...) {
		t.Logf("  %q: %s", n.Path, n.Reason)
	}
}
