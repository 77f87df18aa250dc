// Package emulator is a local stand-in for InfiniCLOUD that enforces the
// service's documented authentication rules and behaves as its pages and
// working clients show it (docs/emulator.md says which is which). Like the
// real service it is two kinds of server: an API server for the REST
// `ba/user` call (node discovery), and a node holding the WebDAV areas
// /dav/ and /backup/ and the REST usage call. Both speak HTTPS with TLS 1.2
// or later on loopback; clients reach them under the real host names
// through DialContext. Tests, benchmarks and the demo mode use it.
package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kumo-backup/kumo/internal/certs"
	"github.com/kumo-backup/kumo/transport"
)

// Config describes an emulator instance.
type Config struct {
	DataDir  string // one folder per user, each with dav/ and backup/
	Accounts []Account
	APIKeys  map[string]string // registered application keys and their signing secrets
	Addr     string            // the node's loopback host:port; 127.0.0.1:0 when empty
	APIAddr  string            // the API server's loopback host:port; 127.0.0.1:0 when empty
	// NodeHost is the node's public name (kumo1.teracloud.jp): ba/user
	// answers https://NodeHost/dav/ and DialContext reaches the node under
	// it. Empty, ba/user answers the node's loopback URL.
	NodeHost string
	Cert     *certs.Cert      // generated when nil, for loopback and the service's host names
	Now      func() time.Time // the server's clock: signed requests, snapshots, password reissues
	Logger   *slog.Logger
	// RFC4331 serves quota-used-bytes and quota-available-bytes, as generic
	// servers do; the real node answers 404 for both (measured), so off.
	RFC4331 bool
	// FullStatus answers an upload that does not fit (507 when zero): the
	// real service's status for a refused write is not documented.
	FullStatus int
	// SnapshotDelay keeps deleted and overwritten bytes counted as used for
	// this long, as the service's ZFS snapshots do.
	SnapshotDelay time.Duration
	// PasswordDelay is how long a reissued Apps Password is refused before
	// the service accepts it ("may take several minutes").
	PasswordDelay time.Duration
	// OnPut, when set, is told of every upload stored whole (tests count them).
	OnPut func(user, area, path string, size int64)
}

// APIHosts are the REST API server's host names, current and legacy.
var APIHosts = []string{"api.teracloud.jp", "api.infini-cloud.net"}

// Server is a running emulator.
type Server struct {
	// URL is the node's root on loopback, e.g. https://127.0.0.1:41234/;
	// APIURL the API server's.
	URL, APIURL string
	Cert        *certs.Cert

	cfg     Config
	srv     *http.Server
	api     *http.Server
	apiLn   net.Listener
	apiAddr string
	apiDown atomic.Bool
	log     *slog.Logger
	nonces  transport.NonceCache

	mu       sync.Mutex
	users    map[string]*user
	apiConns map[net.Conn]bool

	requests sync.Map // method -> *atomic.Int64
	refused  atomic.Int64
}

// Start listens on loopback and serves until Close.
func Start(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("emulator: a data folder is required")
	}
	for _, a := range []*string{&cfg.Addr, &cfg.APIAddr} {
		if *a == "" {
			*a = "127.0.0.1:0"
		}
		host, _, err := net.SplitHostPort(*a)
		if err != nil {
			return nil, fmt.Errorf("emulator: address %q: %w", *a, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("emulator: %s is not a loopback address; the emulator only listens on this computer", host)
		}
	}
	if cfg.FullStatus == 0 {
		cfg.FullStatus = http.StatusInsufficientStorage
	}
	var err error
	if cfg.Cert == nil {
		now := time.Now()
		if cfg.Cert, err = certs.SelfSignedFor("Kumo emulator", CertHosts(cfg.NodeHost), now.Add(-time.Hour), now.Add(365*24*time.Hour)); err != nil {
			return nil, err
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{Cert: cfg.Cert, cfg: cfg, log: logger, users: make(map[string]*user)}
	for _, a := range cfg.Accounts {
		if err := s.AddAccount(a); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	s.srv = s.httpServer(s)
	s.URL = "https://" + ln.Addr().String() + "/"
	go s.srv.Serve(tls.NewListener(ln, s.srv.TLSConfig))
	if s.apiLn, err = net.Listen("tcp", cfg.APIAddr); err != nil {
		s.srv.Close()
		return nil, fmt.Errorf("emulator: %w", err)
	}
	s.apiAddr = s.apiLn.Addr().String()
	s.APIURL = "https://" + s.apiAddr + "/"
	s.api = s.httpServer(http.HandlerFunc(s.serveAPI))
	s.api.ConnState = s.trackAPIConn
	go s.api.Serve(tls.NewListener(s.apiLn, s.api.TLSConfig))
	return s, nil
}

// CertHosts are the names the emulator's certificate covers: loopback, the
// API server's names, and the service's node names.
func CertHosts(nodeHost string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1", "*.teracloud.jp", "*.infini-cloud.net"}
	hosts = append(hosts, APIHosts...)
	if nodeHost != "" {
		hosts = append(hosts, nodeHost)
	}
	return hosts
}

func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{s.cfg.Cert.TLS},
		},
		// TLS handshake failures (old clients, untrusting clients) are expected.
		ErrorLog: log.New(slogWriter{s.log}, "", 0),
	}
}

// Close stops both servers.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.api.Shutdown(ctx)
	return s.srv.Shutdown(ctx)
}

// SetAPIDown takes the API server off the network (connections to it are
// refused) or brings it back: the service's API server can be down while
// WebDAV works.
func (s *Server) SetAPIDown(down bool) {
	s.apiDown.Store(down)
	if down {
		s.mu.Lock()
		for c := range s.apiConns {
			c.Close()
		}
		s.mu.Unlock()
	}
}

// trackAPIConn remembers the API server's open connections, so going down
// cuts them as a real outage would.
func (s *Server) trackAPIConn(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateNew:
		if s.apiConns == nil {
			s.apiConns = map[net.Conn]bool{}
		}
		s.apiConns[c] = true
	case http.StateClosed, http.StateHijacked:
		delete(s.apiConns, c)
	}
}

// DialContext reaches the emulator under the service's real host names:
// the API server's names go to the API server (refused while it is down),
// NodeHost to the node; anything else is dialled as it is (loopback).
func (s *Server) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	target := addr
	switch {
	case slices.Contains(APIHosts, strings.ToLower(host)):
		if s.apiDown.Load() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		target = s.apiAddr
	case s.cfg.NodeHost != "" && strings.EqualFold(host, s.cfg.NodeHost):
		target = strings.TrimSuffix(strings.TrimPrefix(s.URL, "https://"), "/")
	}
	var d net.Dialer
	return d.DialContext(ctx, network, target)
}

// Pool trusts exactly the emulator's certificate.
func (s *Server) Pool() *x509.CertPool { return s.Cert.Pool() }

// AddAccount creates (or replaces) an account and its folders.
func (s *Server) AddAccount(a Account) error {
	if err := a.validate(); err != nil {
		return err
	}
	u, err := newUser(&s.cfg, a)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.users[a.User] = u
	s.mu.Unlock()
	return nil
}

// UpdateAccount changes an account in place, as My Page would (turning the
// apps connection off, reissuing its password, changing the plan).
func (s *Server) UpdateAccount(name string, change func(*Account)) error {
	u := s.user(name)
	if u == nil {
		return fmt.Errorf("no account %q", name)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	change(&u.acct)
	return nil
}

// ReissueAppsPassword does what "Reissue" on My Page does: the old Apps
// Password stops working at once, the new one after Config.PasswordDelay.
func (s *Server) ReissueAppsPassword(name, password string) error {
	return s.UpdateAccount(name, func(a *Account) { a.AppsPassword, a.reissued = password, s.cfg.Now() })
}

// AreaDir is where an area's files are stored, for tests to inspect.
func (s *Server) AreaDir(userName, area string) string {
	if u := s.user(userName); u != nil {
		return u.root + string(os.PathSeparator) + area
	}
	return ""
}

func (s *Server) count(method string) {
	c, _ := s.requests.LoadOrStore(method, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

// Requests counts requests received with method since start; the API
// server's are counted as "API GET".
func (s *Server) Requests(method string) int64 {
	if c, ok := s.requests.Load(method); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

func (s *Server) user(name string) *user {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[name]
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.count(r.Method)
	w.Header().Set("Server", "Kumo-InfiniCLOUD-emulator")

	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	first, _, _ = strings.Cut(first, ";") // a matrix parameter may sit on any segment
	switch first {
	case "dav", "backup":
		u := s.authenticate(w, r, false)
		if u == nil {
			return
		}
		u.serveDAV(w, r, first)
	case "v2":
		s.serveNodeREST(w, r)
	case "api":
		s.serveSigned(w, r)
	default:
		http.NotFound(w, r)
	}
}

// authenticate checks BASIC credentials for WebDAV (rest false) or the REST
// API (rest true); on failure it answers 401 with a Basic challenge (the
// service never offers Digest) and returns nil.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, rest bool) *user {
	name, password, ok := r.BasicAuth()
	if ok {
		if u := s.user(name); u != nil {
			u.mu.Lock()
			accepted := u.acct.acceptsBasic(password, s.cfg.Now(), s.cfg.PasswordDelay) || rest && equal(password, u.acct.Password)
			u.mu.Unlock()
			if accepted {
				return u
			}
		}
	}
	s.refused.Add(1)
	w.Header().Set("WWW-Authenticate", `Basic realm="InfiniCLOUD"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
	return nil
}

// Refused counts requests answered 401 since start.
func (s *Server) Refused() int64 { return s.refused.Load() }

type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug("http server", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}
