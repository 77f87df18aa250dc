package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/studio-b12/gowebdav"
)

// Config says where a WebDAV area is and how to reach it.
type Config struct {
	// URL is the root of the WebDAV area, e.g. https://node.teracloud.jp/backup/.
	URL      string
	User     string
	Password string
	// RootCAs replaces the system roots when set (self-hosted servers, tests).
	RootCAs *x509.CertPool
	// Connections is how many requests run at once (the worker count); it
	// sizes the keep-alive pool so no worker has to open a new connection.
	Connections int
	// UserAgent identifies Kumo to the server.
	UserAgent string
	// Logger receives one debug line per request, never headers or secrets.
	Logger *slog.Logger
}

// Client talks to one WebDAV area. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	user     string
	password string
	http     *http.Client
	dav      *gowebdav.Client
	log      *slog.Logger
}

// New checks cfg and builds a client with Kumo's TLS and pooling policy.
func New(cfg Config) (*Client, error) {
	base, err := ParseServerURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	conns := max(cfg.Connections, 1)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "Kumo"
	}

	rt := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   15 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    cfg.RootCAs,
		},
		TLSHandshakeTimeout: 15 * time.Second,
		// Bounds the wait for headers, not the body: large uploads may take hours.
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          conns * 2,
		MaxIdleConnsPerHost:   conns + 2,
		ForceAttemptHTTP2:     true,
	}
	wrapped := &roundTripper{next: rt, userAgent: ua, log: logger}

	c := &Client{
		base:     base,
		user:     cfg.User,
		password: cfg.Password,
		log:      logger,
		http: &http.Client{
			Transport: wrapped,
			// An upload is never replayed to another place: a redirect is an error.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.dav = gowebdav.NewAuthClient(base.String(), gowebdav.NewPreemptiveAuth(&basicAuth{c.user, c.password}))
	c.dav.SetTransport(wrapped)
	return c, nil
}

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

// Put uploads size bytes from body to remotePath in one request. It does not
// create parent folders. The caller owns body and closes it.
func (c *Client) Put(ctx context.Context, remotePath string, body io.Reader, size int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.URL(remotePath), io.NopCloser(body))
	if err != nil {
		return fmt.Errorf("upload %s: %w", remotePath, err)
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	req.SetBasicAuth(c.user, c.password)
	resp, err := c.http.Do(req)
	if err != nil {
		return &NetError{Op: "PUT", Path: remotePath, Err: err}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		return nil
	}
	return &StatusError{Op: "PUT", Path: remotePath, Code: resp.StatusCode}
}

// Mkdir creates one folder; an existing folder is success.
func (c *Client) Mkdir(_ context.Context, remotePath string) error {
	return davErr("MKCOL", remotePath, c.dav.Mkdir(remotePath, 0o755))
}

// DAV exposes gowebdav for PROPFIND, MOVE, COPY and GET, sharing this
// client's authentication and connection pool.
func (c *Client) DAV() *gowebdav.Client { return c.dav }

// basicAuth sends credentials on every request (preemptive BASIC): gowebdav's
// own BasicAuth cannot be built outside its package, and its auto-negotiating
// authorizer buffers whole upload bodies in memory to replay them after a 401.
type basicAuth struct{ user, password string }

func (b *basicAuth) Authorize(_ *http.Client, rq *http.Request, _ string) error {
	rq.SetBasicAuth(b.user, b.password)
	return nil
}

func (b *basicAuth) Verify(_ *http.Client, rs *http.Response, p string) (bool, error) {
	if rs.StatusCode == http.StatusUnauthorized {
		return false, gowebdav.NewPathError("Authorize", p, rs.StatusCode)
	}
	return false, nil
}

func (b *basicAuth) Clone() gowebdav.Authenticator { return b }
func (b *basicAuth) Close() error                  { return nil }
