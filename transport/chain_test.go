package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/kumo-backup/kumo/internal/certs"
)

// A server that sends only its leaf certificate (a missing intermediate,
// as some of the service's users report): Kumo fetches the intermediate
// from the leaf's AIA address once, verifies the chain normally, and
// connects; with that address unreachable it says the chain is incomplete.
func TestIncompleteChainIsCompletedFromAIA(t *testing.T) {
	var fetched atomic.Int32
	var inter []byte
	aia := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		w.Header().Set("Content-Type", "application/pkix-cert")
		w.Write(inter)
	}))
	defer aia.Close()
	chain, err := certs.NewChain([]string{"127.0.0.1"}, aia.URL+"/intermediate.cer")
	if err != nil {
		t.Fatal(err)
	}
	inter = chain.Intermediate.Raw
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{chain.Leaf}}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(chain.Root)

	for range 2 {
		c, err := New(Config{URL: srv.URL + "/dav/", User: "u", Password: "pw-123456", RootCAs: roots})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Delete(context.Background(), "x")
		c.Close()
		if err != nil {
			t.Fatalf("a leaf-only server whose intermediate is fetchable: %v", err)
		}
	}
	if n := fetched.Load(); n != 1 {
		t.Errorf("the intermediate was fetched %d times; once is enough", n)
	}

	// The same kind of server, its intermediate's address unreachable.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/intermediate.cer"
	l.Close()
	lonely, err := certs.NewChain([]string{"127.0.0.1"}, dead)
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv2.TLS = &tls.Config{Certificates: []tls.Certificate{lonely.Leaf}}
	srv2.StartTLS()
	defer srv2.Close()
	roots2 := x509.NewCertPool()
	roots2.AddCert(lonely.Root)
	c, err := New(Config{URL: srv2.URL + "/dav/", User: "u", Password: "pw-123456", RootCAs: roots2, Retry: RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Delete(context.Background(), "x")
	var ic *IncompleteChainError
	if !errors.As(err, &ic) || ic.URL != dead {
		t.Fatalf("want an incomplete chain naming %s, got %v", dead, err)
	}

	// A certificate from an authority nobody trusts stays untrusted.
	other := x509.NewCertPool()
	other.AddCert(lonely.Root)
	c3, _ := New(Config{URL: srv.URL + "/dav/", User: "u", Password: "pw-123456", RootCAs: other, Retry: RetryPolicy{Attempts: 1}})
	defer c3.Close()
	var unknown x509.UnknownAuthorityError
	if err := c3.Delete(context.Background(), "x"); !errors.As(err, &unknown) {
		t.Fatalf("a chain to another root: %v", err)
	}
}
