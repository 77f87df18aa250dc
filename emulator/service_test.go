package emulator_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

// The service's two kinds of server, under their real names: ba/user on
// the API server names the user's node, which holds WebDAV; the API server
// can be down while WebDAV works; a new account's node may not be ready.
func TestTwoHostsUnderRealNames(t *testing.T) {
	e := testenv.StartEmulator(t, func(c *emulator.Config) {
		c.NodeHost = "kumo1.teracloud.jp"
		c.Accounts = append(c.Accounts, emulator.Account{User: "newcomer", AppsPassword: "APPS-new-123", AppsConnection: true,
			Registered: time.Now(), Pending: true})
	})
	key := &transport.APIKey{Key: e.APIKey}
	api := client(t, e, transport.Config{URL: "https://api.teracloud.jp/", Password: e.AppsPassword, APIKey: key, DialContext: e.DialContext})
	var u emulator.UserInfo
	if err := api.GetJSON(context.Background(), "v2/api/ba/user", &u); err != nil {
		t.Fatal(err)
	}
	if u.Node != "kumo1.teracloud.jp" || u.WebDAVURL != "https://kumo1.teracloud.jp/dav/" {
		t.Fatalf("ba/user: %+v", u)
	}
	dav := client(t, e, transport.Config{URL: u.WebDAVURL, Password: e.AppsPassword, DialContext: e.DialContext})
	if _, err := dav.List(context.Background(), "/"); err != nil {
		t.Fatalf("WebDAV on the node found: %v", err)
	}
	legacy := client(t, e, transport.Config{URL: "https://api.infini-cloud.net/", Password: e.AppsPassword, APIKey: key, DialContext: e.DialContext})
	if err := legacy.GetJSON(context.Background(), "v2/api/ba/user", &u); err != nil {
		t.Fatalf("the API server's other name: %v", err)
	}

	newcomer := client(t, e, transport.Config{URL: e.APIURL, User: "newcomer", Password: "APPS-new-123", APIKey: key})
	if err := newcomer.GetJSON(context.Background(), "v2/api/ba/user", &u); statusOf(err) != http.StatusAccepted {
		t.Fatalf("a new account whose node is not ready: %v", err)
	}

	e.SetAPIDown(true)
	if err := api.GetJSON(context.Background(), "v2/api/ba/user", &u); transport.Classify(err) != transport.ClassRetry {
		t.Fatalf("the API server down: %v", err)
	}
	if _, err := dav.List(context.Background(), "/"); err != nil {
		t.Fatalf("WebDAV while the API server is down: %v", err)
	}
}

// raw sends one request and never follows a redirect.
func raw(t *testing.T, e *testenv.Emulated, method, url string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.SetBasicAuth(e.User, e.AppsPassword)
	if method == "MOVE" {
		req.Header.Set("Destination", e.DAVURL("dav")+"elsewhere/")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.Pool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Like Apache with mod_dir: a collection without its slash is a 301 to the
// slashed address, for every method; ETags are weak.
func TestCollectionWithoutSlashAndWeakETags(t *testing.T) {
	e := testenv.StartEmulator(t)
	c := client(t, e, transport.Config{Password: e.AppsPassword})
	if err := c.Mkdir(context.Background(), "folder"); err != nil {
		t.Fatal(err)
	}
	if err := putBytes(c, "folder/a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"GET", "PROPFIND", "DELETE", "MOVE", "MKCOL"} {
		resp := raw(t, e, m, e.DAVURL("dav")+"folder", nil)
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/dav/folder/" {
			t.Errorf("%s on a collection without its slash: %d, Location %q", m, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp := raw(t, e, "GET", e.DAVURL("dav")+"folder/a.txt", nil); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("ETag"), `W/"`) {
		t.Errorf("a file: %d, ETag %q; want 200 and a weak ETag", resp.StatusCode, resp.Header.Get("ETag"))
	}
	q, err := c.Quota(context.Background())
	if err != nil || q.Known {
		t.Errorf("RFC 4331 quota properties are off by default, as on the real node: %+v %v", q, err)
	}
}

// A deletion frees nothing until the snapshots that hold it are gone; a
// full account can answer another status than 507.
func TestSnapshotsHoldDeletedSpace(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	e := testenv.StartEmulator(t, func(c *emulator.Config) {
		c.Accounts[0].Quota = 100 << 10
		c.SnapshotDelay, c.Now, c.FullStatus = 6*time.Hour, clock.Now, http.StatusInternalServerError
	})
	c := client(t, e, transport.Config{URL: e.DAVURL("backup"), Password: e.AppsPassword})
	node := client(t, e, transport.Config{URL: e.URL, Password: e.AppsPassword, APIKey: &transport.APIKey{Key: e.APIKey}})
	used := func() int64 {
		var d emulator.Dataset
		if err := node.GetJSON(context.Background(), "v2/api/ba/dataset/(capacity)", &d); err != nil {
			t.Fatal(err)
		}
		return d.Dataset["__ROOT__"].Used
	}
	if err := putBytes(c, "big.bin", make([]byte, 80<<10)); err != nil {
		t.Fatal(err)
	}
	if err := putBytes(c, "more.bin", make([]byte, 30<<10)); statusOf(err) != http.StatusInternalServerError {
		t.Fatalf("over quota with FullStatus 500: %v", err)
	}
	if err := c.Delete(context.Background(), "big.bin"); err != nil {
		t.Fatal(err)
	}
	if n := used(); n != 80<<10 {
		t.Fatalf("right after the deletion %d bytes are used; the snapshots still hold 80 KiB", n)
	}
	if err := putBytes(c, "more.bin", make([]byte, 30<<10)); statusOf(err) != http.StatusInternalServerError {
		t.Fatalf("space came back before the snapshot delay: %v", err)
	}
	clock.Set(clock.Now().Add(6*time.Hour + time.Second))
	if n := used(); n != 0 {
		t.Fatalf("after the snapshot delay %d bytes are used, want 0", n)
	}
	if err := putBytes(c, "more.bin", make([]byte, 30<<10)); err != nil {
		t.Fatalf("after the snapshot delay: %v", err)
	}
}

// A reissued Apps Password replaces the old one at once, and is itself
// accepted only after a while.
func TestReissuedPasswordTakesAWhile(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	e := testenv.StartEmulator(t, func(c *emulator.Config) { c.PasswordDelay, c.Now = 3*time.Minute, clock.Now })
	if err := e.ReissueAppsPassword(e.User, "APPS-reissued-42"); err != nil {
		t.Fatal(err)
	}
	old := client(t, e, transport.Config{Password: e.AppsPassword})
	fresh := client(t, e, transport.Config{Password: "APPS-reissued-42"})
	if _, err := old.List(context.Background(), "/"); transport.Classify(err) != transport.ClassAuth {
		t.Fatalf("the old password after a reissue: %v", err)
	}
	if _, err := fresh.List(context.Background(), "/"); transport.Classify(err) != transport.ClassAuth {
		t.Fatalf("the new password at once: %v", err)
	}
	clock.Set(clock.Now().Add(3 * time.Minute))
	if _, err := fresh.List(context.Background(), "/"); err != nil {
		t.Fatalf("the new password after the delay: %v", err)
	}
}
