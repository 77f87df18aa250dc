package emulator_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

func client(t *testing.T, e *testenv.Emulated, cfg transport.Config) *transport.Client {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = e.DAVURL("dav")
	}
	if cfg.User == "" {
		cfg.User = e.User
	}
	if cfg.RootCAs == nil && cfg.PinSHA256 == "" {
		cfg.RootCAs = e.Pool()
	}
	cfg.Retry = transport.RetryPolicy{Attempts: 2, BaseDelay: time.Millisecond}
	c, err := transport.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func statusOf(err error) int {
	var se *transport.StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// WebDAV BASIC rules: which password opens /dav/ and /backup/ for which account.
func TestWebDAVBasicRules(t *testing.T) {
	legacy := time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC)
	e := testenv.StartEmulator(t, func(c *emulator.Config) {
		c.Accounts = append(c.Accounts,
			emulator.Account{User: "old-user", Password: "old-login-pw", AppsConnection: true, Registered: legacy},
			emulator.Account{User: "old-reissued", Password: "old-login-pw", AppsPassword: "reissued-apps-pw", AppsConnection: true, Registered: legacy},
			emulator.Account{User: "switched-off", Password: "login-pw-2", AppsPassword: "apps-pw-2", AppsConnection: false, Registered: time.Now()},
		)
	})
	cases := []struct {
		name, user, password, area string
		want                       int // 0: accepted
	}{
		{"apps password opens /dav/", e.User, e.AppsPassword, "dav", 0},
		{"apps password opens /backup/", e.User, e.AppsPassword, "backup", 0},
		{"wrong password", e.User, "not-it", "dav", 401},
		{"unknown user", "nobody", e.AppsPassword, "dav", 401},
		{"login password of a post-2021 account", e.User, e.LoginPassword, "dav", 401},
		{"login password of a pre-2021 account", "old-user", "old-login-pw", "dav", 0},
		{"login password after a reissue", "old-reissued", "old-login-pw", "dav", 401},
		{"reissued apps password", "old-reissued", "reissued-apps-pw", "dav", 0},
		{"apps connection switched off", "switched-off", "apps-pw-2", "dav", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := client(t, e, transport.Config{URL: e.DAVURL(c.area), User: c.user, Password: c.password})
			_, err := cl.DAV().ReadDir("/")
			if c.want == 0 && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.want != 0 {
				err = cl.Mkdir(context.Background(), "probe")
				if statusOf(err) != c.want || transport.Classify(err) != transport.ClassAuth {
					t.Fatalf("want %d (auth), got %v", c.want, err)
				}
			}
		})
	}
}

// Preemptive BASIC costs one request; challenge mode two, except uploads.
func TestPreemptiveAndChallenge(t *testing.T) {
	e := testenv.StartEmulator(t)
	pre := client(t, e, transport.Config{Password: e.AppsPassword})
	if err := pre.Mkdir(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if n := e.Requests("MKCOL"); n != 1 {
		t.Fatalf("preemptive: %d MKCOL requests, want 1", n)
	}
	ch := client(t, e, transport.Config{Password: e.AppsPassword, ChallengeAuth: true})
	if err := ch.Mkdir(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	if n := e.Requests("MKCOL"); n != 3 {
		t.Fatalf("challenge: %d MKCOL requests in all, want 1+2", n)
	}
	body := strings.Repeat("x", 1000)
	err := ch.Put(context.Background(), "b/f.txt", func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.Requests("PUT"); n != 1 {
		t.Fatalf("an upload in challenge mode took %d requests; uploads must stay preemptive", n)
	}
	wrong := client(t, e, transport.Config{Password: "nope", ChallengeAuth: true})
	if err := wrong.Mkdir(context.Background(), "c"); statusOf(err) != 401 {
		t.Fatalf("challenge mode with a wrong password: want 401, got %v", err)
	}
}

func TestTLSRules(t *testing.T) {
	e := testenv.StartEmulator(t)
	u, _ := url.Parse(e.URL)

	t.Run("TLS 1.1 client refused", func(t *testing.T) {
		conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: e.Pool(), MaxVersion: tls.VersionTLS11, ServerName: "127.0.0.1"})
		if err == nil {
			conn.Close()
			t.Fatal("the emulator accepted a TLS 1.1 handshake")
		}
	})
	t.Run("TLS 1.2 client accepted", func(t *testing.T) {
		conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: e.Pool(), MaxVersion: tls.VersionTLS12, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
	})
	t.Run("untrusted certificate refused", func(t *testing.T) {
		c, err := transport.New(transport.Config{URL: e.DAVURL("dav"), User: e.User, Password: e.AppsPassword})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Mkdir(context.Background(), "x")
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("want a certificate error, got %v", err)
		}
		if transport.Classify(err) == transport.ClassRetry {
			t.Errorf("an untrusted certificate will not fix itself; it must not be retried: %v", err)
		}
	})
	t.Run("pinned certificate", func(t *testing.T) {
		ok := client(t, e, transport.Config{Password: e.AppsPassword, PinSHA256: e.Cert.Fingerprint(), RootCAs: e.Pool()})
		if err := ok.Mkdir(context.Background(), "pinned"); err != nil {
			t.Fatal(err)
		}
		bad := client(t, e, transport.Config{Password: e.AppsPassword, RootCAs: e.Pool(), PinSHA256: strings.Repeat("AB", 32)})
		if err := bad.Mkdir(context.Background(), "pinned2"); !errors.Is(err, transport.ErrPinMismatch) {
			t.Fatalf("want ErrPinMismatch, got %v", err)
		}
	})
	t.Run("plain http to a remote host refused", func(t *testing.T) {
		_, err := transport.New(transport.Config{URL: "http://node.teracloud.jp/dav/", User: "u", Password: "p"})
		if err == nil || !strings.Contains(err.Error(), "unencrypted") {
			t.Fatalf("want a refusal explaining the risk, got %v", err)
		}
	})
}

// A server that only offers Digest is not the service: say the URL is wrong.
func TestDigestOnlyServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Digest realm="x", qop="auth", nonce="abc"`)
		w.WriteHeader(401)
	}))
	defer srv.Close()
	for _, challenge := range []bool{false, true} {
		c, err := transport.New(transport.Config{URL: srv.URL + "/dav/", User: "u", Password: "p-123456",
			RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, ChallengeAuth: challenge})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Mkdir(context.Background(), "x")
		if !errors.Is(err, transport.ErrDigestOnly) || !strings.Contains(err.Error(), "WebDAV Connection URL") {
			t.Fatalf("challenge=%v: want ErrDigestOnly with advice, got %v", challenge, err)
		}
	}
}

// The REST API as the service documents it: ba/user on the API server,
// usage on the node, both with BASIC plus an API key by either header name
// or as a matrix parameter; 401 for the credentials, 403 for the key.
func TestRESTAPIKey(t *testing.T) {
	e := testenv.StartEmulator(t)
	ok := []struct {
		name string
		key  *transport.APIKey
	}{
		{"header", &transport.APIKey{Key: e.APIKey, Mode: transport.APIKeyHeader}},
		{"legacy header", &transport.APIKey{Key: e.APIKey, Mode: transport.APIKeyLegacyHeader}},
		{"matrix parameter", &transport.APIKey{Key: e.APIKey, Mode: transport.APIKeyMatrix}},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			api := client(t, e, transport.Config{URL: e.APIURL, Password: e.AppsPassword, APIKey: c.key})
			var u emulator.UserInfo
			if err := api.GetJSON(context.Background(), "v2/api/ba/user", &u); err != nil {
				t.Fatal(err)
			}
			if u.Result != 0 || u.User != e.User || u.WebDAVURL != e.DAVURL("dav") || u.Capacity != 20 {
				t.Fatalf("ba/user %+v", u)
			}
			node := client(t, e, transport.Config{URL: e.URL, Password: e.AppsPassword, APIKey: c.key})
			var d emulator.Dataset
			if err := node.GetJSON(context.Background(), "v2/api/ba/dataset/(capacity)", &d); err != nil {
				t.Fatal(err)
			}
			if root := d.Dataset["__ROOT__"]; d.Result != 0 || root.Quota != emulator.FreeQuota || root.Used != 0 {
				t.Fatalf("dataset %+v", d)
			}
		})
	}
	t.Run("no ba/user on the node", func(t *testing.T) {
		node := client(t, e, transport.Config{URL: e.URL, Password: e.AppsPassword, APIKey: &transport.APIKey{Key: e.APIKey}})
		if err := node.GetJSON(context.Background(), "ba/user/", &struct{}{}); statusOf(err) != 404 {
			t.Fatalf("the node answered the API server's call: %v", err)
		}
	})

	refusals := []struct {
		name     string
		key      *transport.APIKey
		password string
		status   int
		code     string
	}{
		{"missing key", nil, e.AppsPassword, 403, emulator.CodeAPIKeyMissing},
		{"unknown key", &transport.APIKey{Key: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"}, e.AppsPassword, 403, emulator.CodeAPIKeyUnknown},
		{"unknown key by matrix", &transport.APIKey{Key: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", Mode: transport.APIKeyMatrix}, e.AppsPassword, 403, emulator.CodeAPIKeyUnknown},
		{"valid key, wrong password", &transport.APIKey{Key: e.APIKey}, "wrong", 401, ""},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			cl := client(t, e, transport.Config{URL: e.APIURL, Password: c.password, APIKey: c.key})
			err := cl.GetJSON(context.Background(), "v2/api/ba/user", &emulator.UserInfo{})
			var se *transport.StatusError
			if !errors.As(err, &se) || se.Code != c.status || !strings.Contains(se.Body, c.code) {
				t.Fatalf("want %d %s, got %v (%+v)", c.status, c.code, err, se)
			}
		})
	}

	t.Run("malformed key refused by the client before sending", func(t *testing.T) {
		_, err := transport.New(transport.Config{URL: e.APIURL, User: e.User, Password: e.AppsPassword,
			APIKey: &transport.APIKey{Key: "0123456789abcdef0123456789abcdef"}})
		if err == nil || !strings.Contains(err.Error(), "32 uppercase hexadecimal") {
			t.Fatalf("want a format error, got %v", err)
		}
	})
	t.Run("malformed key refused by the server", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.APIURL+"v2/api/ba/user", nil)
		req.SetBasicAuth(e.User, e.AppsPassword)
		req.Header.Set(transport.HeaderAPIKey, "not-a-key")
		resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.Pool()}}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(string(body), emulator.CodeAPIKeyMalformed) {
			t.Fatalf("want 403 %s, got %d %s", emulator.CodeAPIKeyMalformed, resp.StatusCode, body)
		}
	})
}

func TestSignedRequests(t *testing.T) {
	e := testenv.StartEmulator(t)
	signed := func(secret string) *transport.Client {
		return client(t, e, transport.Config{URL: e.URL, Password: e.AppsPassword,
			APIKey: &transport.APIKey{Key: e.APIKey}, SigningSecret: secret})
	}
	var u emulator.Usage
	if err := signed(e.APISecret).GetJSON(context.Background(), "api/v1/usage/", &u); err != nil || u.User != e.User {
		t.Fatalf("a correctly signed request: %v %+v", err, u)
	}
	err := signed("wrong-secret").GetJSON(context.Background(), "api/v1/usage/", &u)
	if se := (*transport.StatusError)(nil); !errors.As(err, &se) || !strings.Contains(se.Body, emulator.CodeSignature) {
		t.Fatalf("wrong secret: %v", err)
	}

	// Replay and staleness need the raw URL a client sent.
	raw := func(ts time.Time) string {
		s := &transport.Signer{APIKey: e.APIKey, Secret: e.APISecret, Now: func() time.Time { return ts }}
		u, _ := url.Parse(e.URL + "api/v1/usage/")
		if err := s.Sign("GET", u); err != nil {
			t.Fatal(err)
		}
		return u.String()
	}
	get := func(target string) (int, string) {
		req, _ := http.NewRequest("GET", target, nil)
		req.SetBasicAuth(e.User, e.AppsPassword)
		resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.Pool()}}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	once := raw(time.Now())
	if code, body := get(once); code != 200 {
		t.Fatalf("first use: %d %s", code, body)
	}
	if code, body := get(once); code != 401 || !strings.Contains(body, emulator.CodeReplayedNonce) {
		t.Fatalf("replayed nonce: %d %s", code, body)
	}
	if code, body := get(raw(time.Now().Add(-2 * time.Minute))); code != 401 || !strings.Contains(body, emulator.CodeStaleTimestamp) {
		t.Fatalf("stale timestamp: %d %s", code, body)
	}
}

// A redirect to another host never carries the password, the API key (by
// header or matrix parameter) or a signature.
func TestCrossHostRedirectCarriesNoSecrets(t *testing.T) {
	certs := testenv.NewCerts(t, t.TempDir())
	var mu sync.Mutex
	var seen []*http.Request
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	other.TLS = &tls.Config{Certificates: []tls.Certificate{certs.Cert.TLS}}
	other.StartTLS()
	defer other.Close()
	otherURL, _ := url.Parse(other.URL)
	target := "https://localhost:" + otherURL.Port() // another host name for the same machine

	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+"/landing/", http.StatusFound)
	}))
	origin.TLS = &tls.Config{Certificates: []tls.Certificate{certs.Cert.TLS}}
	origin.StartTLS()
	defer origin.Close()

	const password, key, secret = "redirect-pw-123", "0123456789ABCDEF0123456789ABCDEF", "sign-secret-9"
	modes := []transport.Config{
		{APIKey: &transport.APIKey{Key: key, Mode: transport.APIKeyHeader}},
		{APIKey: &transport.APIKey{Key: key, Mode: transport.APIKeyLegacyHeader}},
		{APIKey: &transport.APIKey{Key: key, Mode: transport.APIKeyMatrix}},
		{APIKey: &transport.APIKey{Key: key}, SigningSecret: secret},
	}
	for _, cfg := range modes {
		cfg.URL, cfg.User, cfg.Password, cfg.RootCAs = origin.URL+"/", "me", password, certs.Pool
		c, err := transport.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.GetJSON(context.Background(), "v2/api/ba/user", &struct{}{}); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(modes) {
		t.Fatalf("the other host saw %d requests, want %d", len(seen), len(modes))
	}
	for _, r := range seen {
		dump := r.URL.String() + " " + strings.Join(headerLines(r.Header), " ")
		for _, leak := range []string{"Authorization", transport.HeaderAPIKey, transport.HeaderAPIKeyLegacy, key, "sig=", "api_key"} {
			if strings.Contains(strings.ToLower(dump), strings.ToLower(leak)) {
				t.Errorf("redirected request carries %q: %s", leak, dump)
			}
		}
	}
}

func headerLines(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, ","))
	}
	return out
}
