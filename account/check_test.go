package account_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/certs"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// emuAccount is an InfiniCLOUD account on the emulator's /backup/ area.
func emuAccount(e *testenv.Emulated) account.Account {
	return account.Account{Service: account.InfiniCLOUD, URL: e.DAVURL("backup"), User: e.User, Device: "laptop"}
}

// wantProblem runs a check and asserts the problem class and the words of
// the sentence the user reads.
func wantProblem(t *testing.T, a account.Account, s account.Secrets, opts account.Options, kind problem.Kind, words ...string) {
	t.Helper()
	if opts.MachineID == "" {
		opts.MachineID = "machine-1"
	}
	_, err := account.Check(context.Background(), a, s, opts)
	var ce *problem.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a problem %s, got %v", kind, err)
	}
	if ce.Kind != kind {
		t.Fatalf("want problem %s, got %s: %s", kind, ce.Kind, ce.Sentence())
	}
	for _, w := range words {
		if !strings.Contains(ce.Sentence(), w) {
			t.Errorf("the sentence should mention %q: %s", w, ce.Sentence())
		}
	}
	if s.Password != "" && strings.Contains(ce.Sentence(), s.Password) {
		t.Errorf("the sentence repeats the password: %s", ce.Sentence())
	}
}

func TestCheckSucceeds(t *testing.T) {
	e := testenv.StartEmulator(t)
	a := emuAccount(e)
	st, err := account.Check(context.Background(), a, account.Secrets{Password: e.AppsPassword}, account.Options{RootCAs: e.Pool(), MachineID: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	// Like the real node, the emulator has no RFC 4331 figures: without an
	// API key the storage is unknown, never a made-up number.
	if st.Quota.Known || st.QuotaSource != "" || st.RESTProblem != nil {
		t.Errorf("storage without RFC 4331 and without a key: %+v", st)
	}
	if len(st.Devices) != 1 || st.Devices[0] != "laptop" {
		t.Errorf("devices: %v", st.Devices)
	}
	a.HasAPIKey = true
	st, err = account.Check(context.Background(), a, account.Secrets{Password: e.AppsPassword, APIKey: e.APIKey}, account.Options{RootCAs: e.Pool(), MachineID: "m1"})
	if err != nil || st.QuotaSource != "REST API" || st.Quota.Used+st.Quota.Available != emulator.FreeQuota {
		t.Fatalf("quota from the REST API: %+v %v", st, err)
	}

	generic := testenv.StartEmulator(t, func(c *emulator.Config) { c.RFC4331 = true })
	st, err = account.Check(context.Background(), emuAccount(generic), account.Secrets{Password: generic.AppsPassword},
		account.Options{RootCAs: generic.Pool(), MachineID: "m1"})
	if err != nil || !st.Quota.Known || st.Quota.Available != emulator.FreeQuota || st.QuotaSource != "WebDAV" {
		t.Errorf("quota from WebDAV on a server with RFC 4331: %+v %v", st, err)
	}
}

func TestCheckProblems(t *testing.T) {
	legacy := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	e := testenv.StartEmulator(t, func(c *emulator.Config) {
		c.Accounts = append(c.Accounts, emulator.Account{User: "off", Password: "login-pw-off", AppsPassword: "apps-pw-off",
			AppsConnection: false, Registered: legacy})
	})
	opts := account.Options{RootCAs: e.Pool(), DialContext: e.DialContext}

	t.Run("wrong password", func(t *testing.T) {
		wantProblem(t, emuAccount(e), account.Secrets{Password: "wrong-pw-123"}, opts,
			problem.WrongPassword, "did not accept", "Apps Password", "wait a few minutes")
	})
	t.Run("apps connection off", func(t *testing.T) {
		a := emuAccount(e)
		a.User, a.HasAPIKey = "off", true
		wantProblem(t, a, account.Secrets{Password: "login-pw-off", APIKey: e.APIKey}, opts,
			problem.AppsConnectionOff, "Apps Connection is off", "My Page", "turn it on")
	})
	t.Run("host not found", func(t *testing.T) {
		a := emuAccount(e)
		a.URL = "https://no-such-node.teracloud.jp/backup/"
		// The resolver's answer for a name that does not exist, without
		// asking a DNS server from a test.
		noHost := func(_ context.Context, _, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
		}
		wantProblem(t, a, account.Secrets{Password: "x-123456"}, account.Options{DialContext: noHost},
			problem.HostNotFound, "cannot find the server no-such-node.teracloud.jp", "typos")
	})
	t.Run("offline", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		a := emuAccount(e)
		a.URL = "https://" + addr + "/backup/"
		wantProblem(t, a, account.Secrets{Password: "x-123456"}, opts, problem.Offline, "cannot reach", "offline")
	})
	t.Run("plain http", func(t *testing.T) {
		a := emuAccount(e)
		a.URL = "http://node.teracloud.jp/dav/"
		wantProblem(t, a, account.Secrets{Password: "x-123456"}, opts, problem.PlainHTTP, "unencrypted", "https://")
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		wantProblem(t, emuAccount(e), account.Secrets{Password: e.AppsPassword}, account.Options{},
			problem.TLSUntrusted, "not from an authority this computer trusts", "will not send your password")
	})
	t.Run("area missing", func(t *testing.T) {
		a := emuAccount(e)
		a.Service, a.URL = account.WebDAV, e.URL+"nothing-here/"
		wantProblem(t, a, account.Secrets{Password: e.AppsPassword}, opts, problem.AreaMissing, "does not exist")
	})
	t.Run("api key refused", func(t *testing.T) {
		// A REST failure never blocks signing in: WebDAV alone goes on,
		// and the status says what is missing.
		a := emuAccount(e)
		a.HasAPIKey = true
		st, err := account.Check(context.Background(), a, account.Secrets{Password: e.AppsPassword, APIKey: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"},
			account.Options{RootCAs: e.Pool(), MachineID: "machine-1"})
		var p *problem.Error
		if err != nil || !errors.As(st.RESTProblem, &p) || p.Kind != problem.APIKey || !strings.Contains(p.Sentence(), "refused the API key") ||
			!strings.Contains(p.Sentence(), "not shown on My Page") || st.Quota.Known {
			t.Fatalf("a refused key: %+v %v", st, err)
		}
	})
	t.Run("device of another computer", func(t *testing.T) {
		a := emuAccount(e)
		a.Device = "shared-name"
		s := account.Secrets{Password: e.AppsPassword}
		if _, err := account.Check(context.Background(), a, s, account.Options{RootCAs: e.Pool(), MachineID: "first"}); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, a, s, account.Options{RootCAs: e.Pool(), MachineID: "second"}, problem.DeviceTaken, "Another computer", "shared-name")
		if _, err := account.Check(context.Background(), a, s, account.Options{RootCAs: e.Pool(), MachineID: "second", TakeOver: true}); err != nil {
			t.Fatalf("taking over on purpose: %v", err)
		}
	})
}

func TestCheckCertificateProblems(t *testing.T) {
	cases := []struct {
		name    string
		hosts   []string
		from    time.Time
		to      time.Time
		problem problem.Kind
		words   []string
	}{
		{"expired", []string{"127.0.0.1"}, time.Now().Add(-48 * time.Hour), time.Now().Add(-24 * time.Hour),
			problem.TLSExpired, []string{"expired on", "will not send your password"}},
		{"wrong host", []string{"other.example.com"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour),
			problem.TLSWrongHost, []string{"belongs to another server", "intercepting"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cert, err := certs.SelfSignedFor("bad", c.hosts, c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			e := testenv.StartEmulator(t, func(cfg *emulator.Config) { cfg.Cert = cert })
			wantProblem(t, emuAccount(e), account.Secrets{Password: e.AppsPassword}, account.Options{RootCAs: cert.Pool()}, c.problem, c.words...)
		})
	}
}

// A server that offers only TLS 1.1 gets a sentence, not "offline".
func TestCheckOldTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	a := account.Account{Service: account.WebDAV, URL: srv.URL + "/dav/", User: "someone", Device: "laptop"}
	wantProblem(t, a, account.Secrets{Password: "x-123456"}, account.Options{RootCAs: pool},
		problem.TLSOld, "below TLS 1.2", "will not send your password")
}

func TestCheckQuotaFull(t *testing.T) {
	e := testenv.StartEmulator(t, func(c *emulator.Config) { c.Accounts[0].Quota = 1000 })
	if err := testenv.FillArea(e, "dav", 1000); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, emuAccount(e), account.Secrets{Password: e.AppsPassword}, account.Options{RootCAs: e.Pool()},
		problem.QuotaFull, "storage is full", "upgrade your plan")
}

func TestCheckDigestOnly(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Digest realm="x", nonce="1"`)
		w.WriteHeader(401)
	}))
	defer srv.Close()
	a := account.Account{Service: account.WebDAV, URL: srv.URL + "/dav/", User: "u", Device: "d"}
	wantProblem(t, a, account.Secrets{Password: "pw-123456"}, account.Options{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs},
		problem.DigestOnly, "Digest", "WebDAV Connection URL")
}

func TestCheckReadOnlyArea(t *testing.T) {
	srv := testenv.StartApache(t, testenv.ReadOnly())
	a := account.Account{Service: account.WebDAV, URL: srv.URL, User: srv.User, Device: "pc"}
	wantProblem(t, a, account.Secrets{Password: srv.Password}, account.Options{RootCAs: srv.Certs.Pool},
		problem.AreaReadOnly, "may not write", "403")
}

func TestInfiniCLOUDURL(t *testing.T) {
	cases := []struct{ pasted, area, want, err string }{
		{"https://ogi.teracloud.jp/dav/", "backup", "https://ogi.teracloud.jp/backup/", ""},
		{"https://ogi.teracloud.jp/dav/", "dav", "https://ogi.teracloud.jp/dav/", ""},
		{"ogi.teracloud.jp/dav", "backup", "https://ogi.teracloud.jp/backup/", ""},
		{" https://yura.infini-cloud.net/dav/ ", "backup", "https://yura.infini-cloud.net/backup/", ""},
		{"https://example.com/dav/", "backup", "", "not an InfiniCLOUD address"},
		{"http://ogi.teracloud.jp/dav/", "backup", "", "unencrypted"},
		{"https://ogi.teracloud.jp/dav/", "photos", "", "unknown area"},
	}
	for _, c := range cases {
		got, err := account.InfiniCLOUDURL(c.pasted, c.area)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: want an error about %q, got %v", c.pasted, c.err, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q %s: got %q, %v; want %q", c.pasted, c.area, got, err, c.want)
		}
	}
	a := account.Account{Service: account.InfiniCLOUD, URL: "https://ogi.teracloud.jp/backup/"}
	if a.NodeURL() != "https://ogi.teracloud.jp/" {
		t.Errorf("node %q", a.NodeURL())
	}
}

// Renaming a device is one server-side MOVE; its backups follow it.
func TestRenameDevice(t *testing.T) {
	e := testenv.StartEmulator(t)
	a := emuAccount(e)
	s := account.Secrets{Password: e.AppsPassword}
	opts := account.Options{RootCAs: e.Pool(), MachineID: "m1"}
	if _, err := account.Check(context.Background(), a, s, opts); err != nil {
		t.Fatal(err)
	}
	c, err := account.Connect(a, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := account.RenameDevice(context.Background(), c, a, "new-laptop", opts); err != nil {
		t.Fatal(err)
	}
	if n := e.Requests("MOVE"); n != 1 {
		t.Errorf("%d MOVE requests, want 1", n)
	}
	devices, _ := account.ListDevices(c)
	if len(devices) != 1 || devices[0] != "new-laptop" {
		t.Fatalf("devices after rename: %v", devices)
	}
	other := a
	other.Device = "taken"
	if _, err := account.Check(context.Background(), other, s, account.Options{RootCAs: e.Pool(), MachineID: "m2"}); err != nil {
		t.Fatal(err)
	}
	renamed := a
	renamed.Device = "new-laptop"
	var ce *problem.Error
	if err := account.RenameDevice(context.Background(), c, renamed, "taken", opts); !errors.As(err, &ce) || ce.Kind != problem.DeviceNameTaken {
		t.Fatalf("renaming onto another device's name: %v", err)
	}
}
