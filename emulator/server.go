// Package emulator is a local stand-in for InfiniCLOUD that enforces the
// service's documented authentication rules exactly (see ../shared/seeds and
// docs/emulator.md): HTTPS with TLS 1.2 or later on loopback; WebDAV areas
// /dav/ and /backup/ per user with BASIC only (preemptive or after a
// challenge) and the apps-connection rules; RFC 4331 quota and 507 when full;
// the REST API under /ba/user/ with BASIC plus an API key; a signed endpoint
// under /api/v1/. Tests, benchmarks and the demo mode use it.
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kumo-backup/kumo/internal/certs"
	"github.com/kumo-backup/kumo/transport"
)

// Config describes an emulator instance.
type Config struct {
	DataDir  string // one folder per user, each with dav/ and backup/
	Accounts []Account
	APIKeys  map[string]string // registered application keys and their signing secrets
	Addr     string            // loopback host:port; 127.0.0.1:0 when empty
	Cert     *certs.Cert       // generated when nil
	Now      func() time.Time  // the server's clock, for signed requests
	Logger   *slog.Logger
	// OnPut, when set, is told of every upload stored whole (tests count them).
	OnPut func(user, area, path string, size int64)
}

// Server is a running emulator.
type Server struct {
	// URL is the server's root, e.g. https://127.0.0.1:41234/.
	URL  string
	Cert *certs.Cert

	cfg    Config
	srv    *http.Server
	log    *slog.Logger
	nonces transport.NonceCache

	mu    sync.Mutex
	users map[string]*user

	requests sync.Map // method -> *atomic.Int64
	refused  atomic.Int64
}

// Start listens on loopback and serves until Close.
func Start(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("emulator: a data folder is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: address %q: %w", cfg.Addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("emulator: %s is not a loopback address; the emulator only listens on this computer", host)
	}
	if cfg.Cert == nil {
		if cfg.Cert, err = certs.SelfSigned("Kumo emulator", 365*24*time.Hour); err != nil {
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
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{cfg.Cert.TLS},
		},
		// TLS handshake failures (old clients, untrusting clients) are expected.
		ErrorLog: log.New(slogWriter{logger}, "", 0),
	}
	s.URL = "https://" + ln.Addr().String() + "/"
	go s.srv.Serve(tls.NewListener(ln, s.srv.TLSConfig))
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// Pool trusts exactly the emulator's certificate.
func (s *Server) Pool() *x509.CertPool { return s.Cert.Pool() }

// AddAccount creates (or replaces) an account and its folders.
func (s *Server) AddAccount(a Account) error {
	if err := a.validate(); err != nil {
		return err
	}
	u, err := newUser(s.cfg.DataDir, a, s.cfg.OnPut)
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

// AreaDir is where an area's files are stored, for tests to inspect.
func (s *Server) AreaDir(userName, area string) string {
	if u := s.user(userName); u != nil {
		return u.root + string(os.PathSeparator) + area
	}
	return ""
}

// Requests counts requests received with method since start.
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
	c, _ := s.requests.LoadOrStore(r.Method, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	w.Header().Set("Server", "Kumo-InfiniCLOUD-emulator")

	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	first, _, _ = strings.Cut(first, ";") // a matrix parameter may sit on any segment
	switch first {
	case "dav", "backup":
		u := s.authenticate(w, r, false)
		if u == nil {
			return
		}
		if r.URL.Path == "/"+first {
			http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
			return
		}
		u.serveDAV(w, r, first)
	case "ba":
		s.serveREST(w, r)
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
			accepted := u.acct.acceptsBasic(password) || rest && equal(password, u.acct.Password)
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
