package transport

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/studio-b12/gowebdav"
)

// Config says where a WebDAV area (or the REST API) is and how to reach it.
type Config struct {
	// URL is the root of the area, e.g. https://node.teracloud.jp/backup/.
	URL      string
	User     string
	Password string
	// RootCAs replaces the system roots when set (self-hosted servers, tests).
	RootCAs *x509.CertPool
	// PinSHA256, when set, is the hex SHA-256 of the server certificate that
	// must be presented, in addition to (never instead of) normal verification.
	PinSHA256 string
	// ChallengeAuth waits for a 401 before sending BASIC credentials
	// (non-preemptive). Uploads are preemptive regardless.
	ChallengeAuth bool
	// APIKey is sent with every request (the REST API needs it).
	APIKey *APIKey
	// SigningSecret signs every request with APIKey.Key (signed-request scheme).
	SigningSecret string
	// Connections is how many uploads run at once when the user chose a
	// number; zero lets the Pacer adapt from 4 up to MaxConnections. The
	// keep-alive pool is sized to the most the pacer allows.
	Connections    int
	MaxConnections int // the adaptive ceiling; 16 when zero
	// UploadLimit and DownloadLimit cap bytes per second; zero is unlimited.
	UploadLimit, DownloadLimit int64
	Retry                      RetryPolicy
	// StallTimeout ends an exchange in which no byte moved for this long
	// (2 minutes when zero); large uploads may still take hours.
	StallTimeout time.Duration
	// UserAgent identifies Kumo to the server.
	UserAgent string
	// DialContext replaces the network dialer (fault-injection proxies, tests).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives one debug line per request; secrets are redacted.
	Logger *slog.Logger
}

// LogValue keeps the secrets out of any log line that prints a Config.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", c.URL), slog.String("user", c.User))
}

// Client talks to one WebDAV area. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	http     *http.Client
	raw      *http.Client
	chain    *chainVerifier
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	dav      *gowebdav.Client
	log      *slog.Logger
	redactor *Redactor
	idle     *http.Transport
	closed   chan struct{}
	closeMu  sync.Once
	pacer    *Pacer

	// Upload and Download pace transfers; change them at any time.
	Upload, Download *Bandwidth
}

// New checks cfg and builds a client with Kumo's TLS, auth and pooling policy.
func New(cfg Config) (*Client, error) {
	base, err := ParseServerURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.APIKey != nil {
		if err := ValidateAPIKey(cfg.APIKey.Key); err != nil {
			return nil, err
		}
	}
	if cfg.SigningSecret != "" && cfg.APIKey == nil {
		return nil, errors.New("signed requests need an API key")
	}
	pacer := NewPacer(cfg.Connections, DefaultStartUploads, cfg.MaxConnections, nil)
	conns := pacer.Workers()
	secrets := []string{cfg.Password, cfg.SigningSecret}
	if cfg.APIKey != nil {
		secrets = append(secrets, cfg.APIKey.Key)
	}
	redactor := NewRedactor(cfg.User, secrets...)
	logger := slog.New(slog.DiscardHandler)
	if cfg.Logger != nil {
		logger = slog.New(redactor.Handler(cfg.Logger.Handler()))
	}
	pacer.log = logger
	ua := cfg.UserAgent
	if ua == "" {
		ua = "Kumo"
	}
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	chain := &chainVerifier{roots: cfg.RootCAs, fetch: aiaFetcher(dial)}
	var pin func(tls.ConnectionState) error
	if cfg.PinSHA256 != "" {
		pin = pinCheck(cfg.PinSHA256)
	}
	c := &Client{
		base:     base,
		log:      logger,
		redactor: redactor,
		closed:   make(chan struct{}),
		pacer:    pacer,
		Upload:   newBandwidth(cfg.UploadLimit),
		Download: newBandwidth(cfg.DownloadLimit),
	}
	c.chain, c.dial = chain, dial
	c.idle = &http.Transport{
		Proxy:          http.ProxyFromEnvironment,
		DialContext:    dial,
		DialTLSContext: dialTLS(dial, chain, pin),
		// Through a proxy Go does the handshake itself, with this.
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs, VerifyConnection: pin},
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns + 2,
		// The uploads the pacer allows, plus two for a listing or a record
		// written beside them; never a connection per queued file.
		MaxConnsPerHost:   conns + 2,
		ForceAttemptHTTP2: true,
	}
	stall := cfg.StallTimeout
	if stall <= 0 {
		stall = 2 * time.Minute
	}
	// Outermost first: retry, what the pacer hears, redirects, credentials, bandwidth and logging, stall guard.
	var rt http.RoundTripper = &wireRT{next: &stallRT{next: c.idle, timeout: stall}, userAgent: ua, log: logger, up: c.Upload, down: c.Download}
	rt = &authRT{next: rt, origin: base, creds: credentials{
		user: cfg.User, password: cfg.Password, apiKey: cfg.APIKey, challenge: cfg.ChallengeAuth,
		signer: signerFor(cfg),
	}}
	// One exchange as the server answers it, redirects included: for kumo doctor.
	c.raw = &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rt = &redirectRT{next: rt}
	rt = &paceRT{next: rt, pacer: pacer}
	rt = &retryRT{next: rt, policy: cfg.Retry.withDefaults(), done: c.closed}

	c.http = &http.Client{Transport: rt, CheckRedirect: checkRedirect}
	c.dav = gowebdav.NewAuthClient(base.String(), gowebdav.NewPreemptiveAuth(statusAuth{}))
	c.dav.SetTransport(rt)
	return c, nil
}

func signerFor(cfg Config) *Signer {
	if cfg.SigningSecret == "" {
		return nil
	}
	return &Signer{APIKey: cfg.APIKey.Key, Secret: cfg.SigningSecret}
}

// dialTLS opens TLS connections with Kumo's policy: TLS 1.2 or later, the
// certificate checked for the host asked for by chainVerifier (which is
// crypto/tls's verification plus completing a chain that lacks its
// intermediate), then the pin if there is one.
func dialTLS(dial func(ctx context.Context, network, addr string) (net.Conn, error), chain *chainVerifier,
	pin func(tls.ConnectionState) error) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conf := &tls.Config{
			MinVersion: tls.VersionTLS12, ServerName: host, NextProtos: []string{"h2", "http/1.1"},
			// Verified below, for host, rather than by crypto/tls: the same
			// checks, and a missing intermediate can be fetched.
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if err := chain.verify(cs, host); err != nil {
					return err
				}
				if pin != nil {
					return pin(cs)
				}
				return nil
			},
		}
		tc := tls.Client(raw, conf)
		hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		return tc, nil
	}
}

// checkRedirect follows at most 5 redirects of a GET or HEAD, never from
// https to http.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("the server redirected too many times")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("the server redirected to an unencrypted address (%s); refusing to follow", req.URL.Host)
	}
	return nil // only GET and HEAD get here: redirectRT settles the others
}

// pinCheck requires the leaf certificate's SHA-256 to equal pin.
func pinCheck(pin string) func(tls.ConnectionState) error {
	want := strings.ToLower(strings.ReplaceAll(pin, ":", ""))
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return ErrPinMismatch
		}
		sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if hex.EncodeToString(sum[:]) != want {
			return ErrPinMismatch
		}
		return nil
	}
}

// ErrPinMismatch is a server whose certificate is not the pinned one.
var ErrPinMismatch = errors.New("the server's certificate is not the one this account was set up with: someone may be intercepting the connection, or the server's certificate changed")

// Close stops retries in progress and closes idle connections.
func (c *Client) Close() {
	c.closeMu.Do(func() {
		close(c.closed)
		c.idle.CloseIdleConnections()
	})
}

// Pacer says how many uploads may run at once on this client.
func (c *Client) Pacer() *Pacer { return c.pacer }

// Redact removes this client's secrets from s (for error messages shown to users).
func (c *Client) Redact(s string) string { return c.redactor.String(s) }

// ParseServerURL accepts https:// URLs, and http:// only to loopback.
func ParseServerURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not a server address: paste the full WebDAV URL, starting with https://", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("refusing plain http:// to %s: it would send your password unencrypted; use the https:// address", u.Host)
		}
	default:
		return nil, fmt.Errorf("%q is not a WebDAV address: it must start with https://", raw)
	}
	if u.User != nil {
		return nil, errors.New("the server address must not contain a user name or password; enter them in their own fields")
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL returns the absolute URL of a path relative to the area root.
func (c *Client) URL(remotePath string) string {
	u := *c.base
	u.Path = path.Join(c.base.Path, remotePath)
	if strings.HasSuffix(remotePath, "/") {
		u.Path += "/"
	}
	return u.String()
}

// Body opens an upload's content. It is called again for each retry, so
// each call must start from the beginning.
type Body func() (io.ReadCloser, error)

// Put uploads size bytes from open() to remotePath in one request with
// Content-Length. It does not create parent folders.
func (c *Client) Put(ctx context.Context, remotePath string, open Body, size int64) error {
	return c.put(ctx, remotePath, open, size, nil)
}

func (c *Client) put(ctx context.Context, remotePath string, open Body, size int64, h http.Header) error {
	first, err := open()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.URL(remotePath), first)
	if err != nil {
		first.Close()
		return fmt.Errorf("upload %s: %w", remotePath, err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.ContentLength = size
	req.GetBody = open
	if size == 0 {
		first.Close()
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.netError("PUT", remotePath, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		return nil
	}
	return &StatusError{Op: "PUT", Path: remotePath, Code: resp.StatusCode}
}

// GetJSON fetches a REST resource (relative to the client's URL) into v.
func (c *Client) GetJSON(ctx context.Context, remotePath string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(remotePath), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.netError("GET", remotePath, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return &StatusError{Op: "GET", Path: remotePath, Code: resp.StatusCode, Body: c.Redact(string(body))}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: the server's answer is not the JSON expected: %w", remotePath, err)
	}
	return nil
}

func (c *Client) netError(op, p string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its URL is already in Path, without the host's noise
	}
	return &NetError{Op: op, Path: p, Err: err}
}

// Mkdir creates one folder; an existing folder is success.
func (c *Client) Mkdir(_ context.Context, remotePath string) error {
	return davErr("MKCOL", remotePath, c.dav.Mkdir(remotePath, 0o755))
}

// DAV exposes gowebdav for PROPFIND, MOVE, COPY and GET, sharing this
// client's authentication and connection pool.
func (c *Client) DAV() *gowebdav.Client { return c.dav }

// statusAuth lets gowebdav report a 401 as a status error; credentials
// themselves are added by authRT, so every request path shares one policy.
type statusAuth struct{}

func (statusAuth) Authorize(*http.Client, *http.Request, string) error { return nil }

func (statusAuth) Verify(_ *http.Client, rs *http.Response, p string) (bool, error) {
	if rs.StatusCode == http.StatusUnauthorized {
		return false, gowebdav.NewPathError("Authorize", p, rs.StatusCode)
	}
	return false, nil
}

func (statusAuth) Clone() gowebdav.Authenticator { return statusAuth{} }
func (statusAuth) Close() error                  { return nil }
