package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestValidateAPIKey(t *testing.T) {
	cases := map[string]string{
		"0123456789ABCDEF0123456789ABCDEF":   "",
		"0123456789abcdef0123456789abcdef":   "lowercase",
		"0123456789ABCDEF":                   "16 characters",
		"0123456789ABCDEF0123456789ABCDEG":   "outside 0-9 and A-F",
		"":                                   "0 characters",
		"0123456789ABCDEF0123456789ABCDEF00": "34 characters",
	}
	for key, want := range cases {
		err := ValidateAPIKey(key)
		if want == "" {
			if err != nil {
				t.Errorf("%q: unexpected %v", key, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "32 uppercase hexadecimal") {
			t.Errorf("%q: want an error naming %q and the expected format, got %v", key, want, err)
		}
		if err != nil && len(key) >= 8 && strings.Contains(err.Error(), key) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
}

func TestMatrixParam(t *testing.T) {
	u, _ := url.Parse("https://h/v2/api/ba/user/")
	AddMatrixParam(u, "api_key", "ABC")
	if got := u.String(); got != "https://h/v2/api/ba/user;api_key=ABC/" {
		t.Fatalf("got %s", got)
	}
	rest, v, ok := CutMatrixParam(u.Path, "api_key")
	if !ok || v != "ABC" || rest != "/v2/api/ba/user/" {
		t.Fatalf("CutMatrixParam = %q %q %v", rest, v, ok)
	}
	if _, _, ok := CutMatrixParam("/a;x=1/b", "api_key"); ok {
		t.Fatal("found a parameter that is not there")
	}
}

func TestSignVerify(t *testing.T) {
	const key, secret = "0123456789ABCDEF0123456789ABCDEF", "s3cr3t-value"
	now := time.Unix(1_800_000_000, 0)
	secretFor := func(k string) (string, bool) { return secret, k == key }
	sign := func(at time.Time, sec string) *url.URL {
		u, _ := url.Parse("https://h/api/v1/usage/?b=2&a=1")
		s := &Signer{APIKey: key, Secret: sec, Now: func() time.Time { return at }}
		if err := s.Sign("GET", u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	var nonces NonceCache
	u := sign(now, secret)
	if _, err := Verify("GET", u, secretFor, now.Add(30*time.Second), &nonces); err != nil {
		t.Fatalf("a fresh signed request is refused: %v", err)
	}
	if _, err := Verify("GET", u, secretFor, now.Add(31*time.Second), &nonces); !errors.Is(err, ErrReplayedNonce) {
		t.Fatalf("replay: want ErrReplayedNonce, got %v", err)
	}
	if _, err := Verify("GET", sign(now.Add(-91*time.Second), secret), secretFor, now, &nonces); !errors.Is(err, ErrStaleTimestamp) {
		t.Fatalf("stale: want ErrStaleTimestamp, got %v", err)
	}
	if _, err := Verify("GET", sign(now.Add(91*time.Second), secret), secretFor, now, &nonces); !errors.Is(err, ErrStaleTimestamp) {
		t.Fatalf("future: want ErrStaleTimestamp, got %v", err)
	}
	if _, err := Verify("GET", sign(now, "wrong"), secretFor, now, &nonces); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong secret: want ErrBadSignature, got %v", err)
	}
	if _, err := Verify("DELETE", sign(now, secret), secretFor, now, &nonces); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("method changed: want ErrBadSignature, got %v", err)
	}
	tampered := sign(now, secret)
	tampered.RawQuery = strings.Replace(tampered.RawQuery, "a=1", "a=9", 1)
	if _, err := Verify("GET", tampered, secretFor, now, &nonces); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("query changed: want ErrBadSignature, got %v", err)
	}
	a, b := sign(now, secret).Query().Get("nonce"), sign(now, secret).Query().Get("nonce")
	if a == b || len(a) != 32 {
		t.Fatalf("nonces must be 32 random hex characters, unique per request: %q %q", a, b)
	}
}

// loopbackClient builds a client for an httptest TLS server.
func loopbackClient(t *testing.T, srv *httptest.Server, cfg Config) *Client {
	t.Helper()
	cfg.URL = srv.URL + "/"
	if cfg.User == "" {
		cfg.User, cfg.Password = "u", "p4ssw0rd-xyz"
	}
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	cfg.RootCAs = pool
	cfg.Retry = RetryPolicy{Attempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestRetries(t *testing.T) {
	type step struct {
		status int
		hijack bool // reset the connection instead of answering
		header map[string]string
	}
	cases := []struct {
		name     string
		method   string
		steps    []step
		wantTry  int
		wantCode int // final status; 0 for a transport error
		minWait  time.Duration
	}{
		{"503 then ok", "PROPFIND", []step{{status: 503}, {status: 207}}, 2, 207, 0},
		{"retry-after honoured", "GET", []step{{status: 429, header: map[string]string{"Retry-After": "1"}}, {status: 200}}, 2, 200, time.Second},
		{"reset on idempotent", "PROPFIND", []step{{hijack: true}, {status: 207}}, 2, 207, 0},
		{"gives up", "GET", []step{{status: 502}, {status: 502}, {status: 502}, {status: 502}, {status: 502}}, 4, 502, 0},
		{"500 on MOVE not repeated", "MOVE", []step{{status: 500}, {status: 201}}, 1, 500, 0},
		{"reset on MOVE not repeated", "MOVE", []step{{hijack: true}, {status: 201}}, 1, 0, 0},
		{"503 on MOVE repeated", "MOVE", []step{{status: 503}, {status: 201}}, 2, 201, 0},
		{"404 final", "GET", []step{{status: 404}, {status: 200}}, 1, 404, 0},
		{"401 final", "GET", []step{{status: 401}, {status: 200}}, 1, 401, 0},
		{"507 final", "PUT", []step{{status: 507}, {status: 201}}, 1, 507, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tries atomic.Int32
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				s := c.steps[min(int(tries.Add(1))-1, len(c.steps)-1)]
				if s.hijack {
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.(*tls.Conn).NetConn().(*net.TCPConn).SetLinger(0) // RST, not FIN
					conn.Close()
					return
				}
				for k, v := range s.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(s.status)
			}))
			defer srv.Close()
			cl := loopbackClient(t, srv, Config{})
			req, _ := http.NewRequest(c.method, cl.URL("x"), nil)
			start := time.Now()
			resp, err := cl.http.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			if got := int(tries.Load()); got != c.wantTry {
				t.Errorf("server saw %d tries, want %d", got, c.wantTry)
			}
			switch {
			case c.wantCode == 0 && err == nil:
				t.Errorf("want a transport error, got %d", resp.StatusCode)
			case c.wantCode != 0 && (err != nil || resp.StatusCode != c.wantCode):
				t.Errorf("want %d, got %v %v", c.wantCode, resp, err)
			}
			if time.Since(start) < c.minWait {
				t.Errorf("Retry-After not honoured: retried after %v", time.Since(start))
			}
		})
	}
}

// An upload that fails mid-way is sent again from the start of the file.
func TestPutReopensBodyOnRetry(t *testing.T) {
	var tries atomic.Int32
	var got []byte
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if tries.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		got = b
		w.WriteHeader(201)
	}))
	defer srv.Close()
	cl := loopbackClient(t, srv, Config{})
	content := bytes.Repeat([]byte("kumo"), 5000)
	opens := 0
	err := cl.Put(context.Background(), "f", func() (io.ReadCloser, error) {
		opens++
		return io.NopCloser(bytes.NewReader(content)), nil
	}, int64(len(content)))
	if err != nil || !bytes.Equal(got, content) || opens != 2 {
		t.Fatalf("err %v, %d bytes stored, opened %d times", err, len(got), opens)
	}
}

func TestNoRetryWhenNothingListens(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c, err := New(Config{URL: "https://" + addr + "/", User: "u", Password: "pw-123456",
		Retry: RetryPolicy{Attempts: 3, BaseDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Mkdir(context.Background(), "x")
	if Classify(err) != ClassRetry {
		t.Fatalf("a refused connection should classify as retryable: %v", err)
	}
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:8080/dav/":     true,
		"http://[::1]:8080/dav/":         true,
		"http://localhost/dav/":          true,
		"http://example.teracloud.jp/":   false,
		"http://10.0.0.5/dav/":           false,
		"ftp://example.teracloud.jp/":    false,
		"https://example.teracloud.jp/":  true,
		"https://u:p@example.teracloud/": false,
		"example.teracloud.jp/dav":       false,
	} {
		_, err := ParseServerURL(raw)
		if (err == nil) != ok {
			t.Errorf("%s: accepted=%v, want %v (%v)", raw, err == nil, ok, err)
		}
		if !ok && strings.HasPrefix(raw, "http://") && !strings.Contains(err.Error(), "unencrypted") {
			t.Errorf("%s: the refusal should say why: %v", raw, err)
		}
	}
}

// No secret reaches a log line, at any level, whatever the request did.
func TestLogsNeverCarrySecrets(t *testing.T) {
	const password, key, secret = "hunter2-Very-Secret", "FEDCBA9876543210FEDCBA9876543210", "signing-secret-42"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, mode := range []APIKeyMode{APIKeyHeader, APIKeyMatrix} {
		cl := loopbackClient(t, srv, Config{User: "me", Password: password, APIKey: &APIKey{Key: key, Mode: mode},
			SigningSecret: secret, Logger: logger})
		_ = cl.GetJSON(context.Background(), "v2/api/ba/user", &struct{}{})
		_ = cl.Mkdir(context.Background(), "folder")
		cl.log.Info("config", "cfg", Config{URL: srv.URL, User: "me", Password: password})
		cl.log.Warn("manual", "password", password, "url", srv.URL+"/v2/api/ba/user;api_key="+key+"?sig=abc", "Authorization", "Basic xyz")
	}
	out := logs.String()
	if !strings.Contains(out, "GET") || !strings.Contains(out, "MKCOL") {
		t.Fatalf("requests were not logged at all:\n%s", out)
	}
	for _, leak := range []string{password, key, secret, "sig=abc", "Basic xyz", "bWU6aHVudGVy"} {
		if strings.Contains(out, leak) {
			t.Errorf("log output contains %q:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, "[REDACTED]") {
		t.Error("nothing was redacted: the test did not exercise the redactor")
	}
}

// sinkServer takes uploads and remembers how many bytes the last one had.
func sinkServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var received atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Store(n)
		w.WriteHeader(201)
	}))
	t.Cleanup(srv.Close)
	return srv, &received
}

// The upload cap holds, and changing it takes effect on a running upload.
func TestBandwidthLimitChangesWhileRunning(t *testing.T) {
	srv, received := sinkServer(t)
	const size = 1 << 20
	cl := loopbackClient(t, srv, Config{UploadLimit: 64 << 10}) // 16 s for 1 MiB at this cap
	body := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(make([]byte, size))), nil }

	lifted := make(chan struct{})
	time.AfterFunc(time.Second, func() { cl.Upload.Set(0); close(lifted) })
	start := time.Now()
	if err := cl.Put(context.Background(), "f", body, size); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	select {
	case <-lifted:
	default:
		t.Fatalf("1 MiB went through in %v under a 64 KiB/s cap", took)
	}
	if took > 10*time.Second {
		t.Fatalf("lifting the cap did not speed up the running upload (%v)", took)
	}
	if received.Load() != size {
		t.Fatalf("server received %d bytes", received.Load())
	}
}
