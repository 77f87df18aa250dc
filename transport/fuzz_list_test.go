package transport

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A folder listing from a hostile or broken server never panics Kumo, an
// answer that is not a WebDAV listing is an error with a sentence (never
// "the folder is empty"), and the names it yields are plain names.
func FuzzListing(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">` +
		`<D:response><D:href>/dav/dir/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>` +
		`<D:response><D:href>/dav/dir/a.txt</D:href><D:propstat><D:prop><D:getcontentlength>5</D:getcontentlength><D:resourcetype/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>` +
		`</D:multistatus>`))
	f.Add([]byte(`<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/dir/</D:href></D:response></D:multistatus>`))
	f.Add([]byte(``))
	f.Add([]byte(`<html><body>Please log in</body></html>`))
	f.Add([]byte(`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/dir/..%2F..%2Fetc%2Fpasswd</D:href></D:response></D:multistatus>`))
	f.Add([]byte(`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/dir/sub/deeper/x</D:href>` +
		`<D:propstat><D:prop><D:getcontentlength>-7</D:getcontentlength></D:prop></D:propstat></D:response></D:multistatus>`))
	var body atomic.Pointer[[]byte]
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		w.Write(*body.Load())
	}))
	f.Cleanup(srv.Close)
	cl := fuzzClient(f, srv)
	f.Fuzz(func(t *testing.T, data []byte) {
		body.Store(&data)
		infos, err := cl.List(context.Background(), "dir/")
		if err != nil {
			if !errors.Is(err, ErrBadMultistatus) && !strings.Contains(err.Error(), "PROPFIND") {
				t.Fatalf("an error without context: %v", err)
			}
			return
		}
		if len(infos) == 0 && !strings.Contains(string(data), "multistatus") {
			t.Fatalf("a reply that is no listing was taken as an empty folder: %q", data)
		}
		for _, fi := range infos {
			if n := fi.Name(); n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
				t.Fatalf("listing yields the name %q", n)
			}
			if fi.Size() < 0 {
				t.Fatalf("%q has a negative size", fi.Name())
			}
		}
	})
}

func fuzzClient(f *testing.F, srv *httptest.Server) *Client {
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c, err := New(Config{URL: srv.URL + "/dav/", User: "u", Password: "p4ssw0rd-xyz", RootCAs: pool,
		Retry: RetryPolicy{Attempts: 1}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(c.Close)
	return c
}
