package emulator_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

func putBytes(c *transport.Client, p string, b []byte) error {
	return c.Put(context.Background(), p, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, int64(len(b)))
}

// quotaProps reads RFC 4331 quota properties of a collection with PROPFIND.
func quotaProps(t *testing.T, e *testenv.Emulated, area string) (used, avail string) {
	t.Helper()
	body := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`
	req, _ := http.NewRequest("PROPFIND", e.DAVURL(area), strings.NewReader(body))
	req.SetBasicAuth(e.User, e.AppsPassword)
	req.Header.Set("Depth", "0")
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.Pool()}}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ms struct {
		Responses []struct {
			Props []struct {
				Avail string `xml:"prop>quota-available-bytes"`
				Used  string `xml:"prop>quota-used-bytes"`
			} `xml:"propstat"`
		} `xml:"response"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&ms); err != nil || resp.StatusCode != 207 || len(ms.Responses) != 1 {
		t.Fatalf("PROPFIND: %d %v", resp.StatusCode, err)
	}
	for _, p := range ms.Responses[0].Props {
		if p.Used != "" {
			return p.Used, p.Avail
		}
	}
	t.Fatal("no quota properties in the answer")
	return "", ""
}

func TestQuotaFullLeavesNothingPartial(t *testing.T) {
	const quota = 100 << 10
	e := testenv.StartEmulator(t, func(c *emulator.Config) { c.Accounts[0].Quota = quota; c.RFC4331 = true })
	c := client(t, e, transport.Config{URL: e.DAVURL("backup"), Password: e.AppsPassword})
	stored := filepath.Join(e.AreaDir(e.User, "backup"))

	if err := putBytes(c, "a.bin", make([]byte, 60<<10)); err != nil {
		t.Fatal(err)
	}
	if err := putBytes(c, "a.bin", bytes.Repeat([]byte{1}, 60<<10)); err != nil {
		t.Fatalf("overwriting a file with one of the same size must fit: %v", err)
	}
	err := putBytes(c, "b.bin", make([]byte, 60<<10))
	if statusOf(err) != 507 || transport.Classify(err) != transport.ClassQuota {
		t.Fatalf("want 507 quota full, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(stored, "b.bin")); !os.IsNotExist(err) {
		t.Fatalf("a refused upload left a file behind: %v", err)
	}

	// Without Content-Length the server finds out while reading: still nothing left.
	req, _ := http.NewRequest("PUT", e.DAVURL("backup")+"chunked.bin", io.MultiReader(bytes.NewReader(make([]byte, 70<<10))))
	req.SetBasicAuth(e.User, e.AppsPassword)
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.Pool()}}}).Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 507 {
			t.Fatalf("chunked upload over quota: want 507, got %d", resp.StatusCode)
		}
	}
	if _, err := os.Stat(filepath.Join(stored, "chunked.bin")); !os.IsNotExist(err) {
		t.Fatalf("a refused chunked upload left a file behind: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(e.DataDir, e.User, ".uploading")); len(left) != 0 {
		t.Fatalf("temporary upload files left: %v", left)
	}

	used, avail := quotaProps(t, e, "backup")
	if used != "61440" || avail != "40960" {
		t.Fatalf("quota properties: used %s available %s; want 61440 and 40960", used, avail)
	}
	if err := c.DAV().Remove("a.bin"); err != nil {
		t.Fatal(err)
	}
	if used, _ := quotaProps(t, e, "dav"); used != "0" {
		t.Fatalf("after deleting everything, used = %s", used)
	}
	if err := putBytes(c, "b.bin", make([]byte, 60<<10)); err != nil {
		t.Fatalf("after freeing space the upload must fit: %v", err)
	}
}

// litmus, the WebDAV compliance suite, passes basic, copymove and props
// against the emulator's /dav/ area.
func TestLitmus(t *testing.T) {
	bin := testenv.Require(t, "litmus")
	e := testenv.StartEmulator(t)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "emulator.pem")
	if err := os.WriteFile(certFile, e.Cert.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, e.DAVURL("dav"), e.User, e.AppsPassword)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TESTS=basic copymove props", "SSL_CERT_FILE="+certFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("litmus failed: %v\n%s", err, out)
	}
	summary := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "<- summary for") {
			summary++
			t.Log(strings.TrimSpace(line))
			if !strings.Contains(line, "100.0%") {
				t.Errorf("not every test passed: %s", line)
			}
		}
	}
	if summary != 3 {
		t.Fatalf("expected 3 suite summaries, found %d:\n%s", summary, out)
	}
}
