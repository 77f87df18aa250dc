package transport

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A redirect never changes what a request does: a 301 to the path plus a
// slash (Apache's mod_dir for a collection) is sent again as it was, with
// its body and credentials; any other redirect of a DELETE, MOVE or PUT is
// an error, never a GET that "succeeds" having deleted or moved nothing.
func TestRedirectsKeepTheMethod(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _, auth := r.BasicAuth()
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+string(body)+map[bool]string{true: " auth", false: ""}[auth])
		mu.Unlock()
		switch r.URL.Path {
		case "/dav/folder", "/dav/put-here":
			http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		case "/dav/moved":
			http.Redirect(w, r, "/dav/somewhere-else/", http.StatusMovedPermanently)
		case "/dav/found":
			http.Redirect(w, r, "/dav/found/", http.StatusFound)
		case "/dav/loop":
			http.Redirect(w, r, "/dav/loop/", http.StatusMovedPermanently)
		case "/dav/loop/":
			http.Redirect(w, r, "/dav/loop//", http.StatusMovedPermanently)
		case "/dav/somewhere-else/", "/dav/found/":
			if r.Method == http.MethodGet {
				w.WriteHeader(http.StatusOK) // what a GET of the redirect would "succeed" with
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL + "/dav/", User: "u", Password: "pw-123456", RootCAs: poolOf(srv)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	if err := c.Delete(ctx, "folder"); err != nil {
		t.Fatalf("DELETE of a collection without its slash: %v", err)
	}
	if err := c.Move(ctx, "folder", "renamed", false); err != nil {
		t.Fatalf("MOVE of a collection without its slash: %v", err)
	}
	body := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("content")), nil }
	if err := c.Put(ctx, "put-here", body, 7); err != nil {
		t.Fatalf("PUT redirected to the slashed path: %v", err)
	}
	for _, p := range []string{"moved", "found", "loop"} {
		err := c.Delete(ctx, p)
		var re *RedirectError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "does not follow") {
			t.Errorf("DELETE %s answered with a redirect elsewhere: want a refusal, got %v", p, err)
		}
		if err := c.Move(ctx, p, "x", false); !errors.As(err, &re) {
			t.Errorf("MOVE %s answered with a redirect elsewhere: want a refusal, got %v", p, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]bool{"DELETE /dav/folder/  auth": true, "MOVE /dav/folder/  auth": true, "PUT /dav/put-here/ content auth": true}
	for _, s := range seen {
		if strings.HasPrefix(s, "GET") {
			t.Errorf("a request became a GET: %s", s)
		}
		delete(want, s)
	}
	for s := range want {
		t.Errorf("never sent again after the slash redirect: %q (saw %q)", s, seen)
	}
}

func poolOf(srv *httptest.Server) *x509.CertPool {
	return srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}
