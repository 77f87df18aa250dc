// Package faultproxy is an HTTPS reverse proxy on loopback that sits
// between Kumo and a WebDAV server in tests and breaks things on purpose:
// connection resets mid-upload, error statuses with or without
// Retry-After, stalls, and the whole network going away.
package faultproxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/certs"
)

// Kind is what a fault does to a request.
type Kind int

const (
	// Status answers Code (with Header) instead of passing the request on.
	Status Kind = iota + 1
	// Reset reads After bytes of the request body, then resets the
	// connection (TCP RST) without answering.
	Reset
	// Stall holds the request for Stall before passing it on, reading
	// nothing of its body meanwhile.
	Stall
	// LoseAnswer passes the request on, lets the server act on it, then
	// resets the connection instead of answering: the client cannot know
	// whether its MOVE or PUT happened.
	LoseAnswer
)

// Fault is one thing done to one request.
type Fault struct {
	Kind   Kind
	Code   int
	Header http.Header
	After  int64
	Stall  time.Duration
}

// Rule picks a fault for the n-th request (counting from 1), or nil to
// pass it on untouched.
type Rule func(r *http.Request, n int64) *Fault

// Proxy is a running fault-injection proxy.
type Proxy struct {
	URL  string // https://127.0.0.1:PORT/ plus the backend URL's path
	Pool *x509.CertPool

	rule     atomic.Pointer[Rule]
	requests atomic.Int64
	injected atomic.Int64
	refused  atomic.Int64 // connections reset while the network was down
	down     atomic.Bool
	delay    atomic.Int64 // nanoseconds each request is held: a far server
	inFlight atomic.Int64
	peak     atomic.Int64
	quit     chan struct{}

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Start proxies to backend (an https URL trusted through backendPool) until
// the test ends.
func Start(t testing.TB, backend string, backendPool *x509.CertPool) *Proxy {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certs.SelfSigned("faultproxy", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Pool: cert.Pool(), quit: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.URL = "https://" + raw.Addr().String() + target.Path
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: backendPool}, MaxIdleConnsPerHost: 16}
	rp.FlushInterval = -1
	rp.ErrorLog = nil
	srv := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(w, r, rp) }),
		ErrorLog: nil,
		// HTTP/1.1 only: a reset must reach the client as a broken connection.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ConnState:    p.track,
	}
	l := tls.NewListener(&gate{Listener: raw, p: p}, &tls.Config{Certificates: []tls.Certificate{cert.TLS}, NextProtos: []string{"http/1.1"}})
	go srv.Serve(l)
	t.Cleanup(func() {
		close(p.quit)
		srv.Close()
	})
	return p
}

// SetRule replaces the rule; nil passes everything on.
func (p *Proxy) SetRule(r Rule) {
	if r == nil {
		p.rule.Store(nil)
		return
	}
	p.rule.Store(&r)
}

// SetDown takes the network away (every open connection is reset, new ones
// are reset on arrival) or brings it back.
func (p *Proxy) SetDown(down bool) {
	p.down.Store(down)
	if !down {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		resetConn(c)
	}
}

// SetDelay holds every request for d before it goes on, as a server far
// away answers: more requests in flight then mean more done per second.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// InFlight is how many requests the proxy holds now; PeakInFlight the most
// it held at once.
func (p *Proxy) InFlight() int64     { return p.inFlight.Load() }
func (p *Proxy) PeakInFlight() int64 { return p.peak.Load() }

// Requests counts requests that reached the proxy; Injected the faults it
// made; Refused the connections it reset while down.
func (p *Proxy) Requests() int64 { return p.requests.Load() }
func (p *Proxy) Injected() int64 { return p.injected.Load() }
func (p *Proxy) Refused() int64  { return p.refused.Load() }

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	n := p.requests.Add(1)
	now := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for old := p.peak.Load(); now > old && !p.peak.CompareAndSwap(old, now); old = p.peak.Load() {
	}
	if d := time.Duration(p.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		case <-p.quit:
			return
		}
	}
	var f *Fault
	if rule := p.rule.Load(); rule != nil {
		f = (*rule)(r, n)
	}
	if f == nil {
		next.ServeHTTP(w, r)
		return
	}
	p.injected.Add(1)
	switch f.Kind {
	case Status:
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Connection", "close")
		http.Error(w, "fault injected: "+strconv.Itoa(f.Code), f.Code)
	case Reset:
		if r.Body != nil {
			io.CopyN(io.Discard, r.Body, f.After)
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		resetConn(conn)
	case Stall:
		select {
		case <-time.After(f.Stall):
		case <-r.Context().Done():
		case <-p.quit:
			return
		}
		next.ServeHTTP(w, r)
	case LoseAnswer:
		next.ServeHTTP(discard{header: http.Header{}}, r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		resetConn(conn)
	default:
		panic("faultproxy: unknown fault kind")
	}
}

func (p *Proxy) track(c net.Conn, s http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch s {
	case http.StateNew:
		p.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(p.conns, c)
	}
}

// resetConn closes c with a TCP RST, as a dropped network or a crashed
// server does, rather than a polite FIN.
func resetConn(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	c.Close()
}

// gate resets connections on arrival while the network is down.
type gate struct {
	net.Listener
	p *Proxy
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !g.p.down.Load() {
			return c, nil
		}
		g.p.refused.Add(1)
		resetConn(c)
	}
}

// Every injects f into every n-th request whose method is one of methods
// (any method when none is given).
func Every(n int64, f Fault, methods ...string) Rule {
	var seen atomic.Int64
	return func(r *http.Request, _ int64) *Fault {
		if len(methods) > 0 && !slices.Contains(methods, r.Method) {
			return nil
		}
		if seen.Add(1)%n != 0 {
			return nil
		}
		return &f
	}
}

// discard is a ResponseWriter that throws the server's answer away.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
