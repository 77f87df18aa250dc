package transport

import (
	"fmt"
	"net/http"
	"net/url"
)

// RedirectError is a request that changes files answered with a redirect
// Kumo does not follow: following it would send the request somewhere the
// user did not choose, or (as Go's http.Client does for 301 and 302) turn
// a DELETE or MOVE into a GET that "succeeds" having done nothing.
type RedirectError struct {
	Method, Path, To string
	Code             int
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s %s: the server redirected to %s (%d); Kumo does not follow redirects of requests that change files",
		e.Method, e.Path, e.To, e.Code)
}

// redirectRT keeps a redirect from changing what a request does. A 301 or
// 308 to the same address plus a trailing slash (Apache's mod_dir for a
// collection, as the service's nodes answer) is sent again with the same
// method, body and credentials; any other redirect of a request other
// than GET or HEAD is a RedirectError. GET and HEAD go on to the client,
// which follows them (never carrying credentials to another origin).
type redirectRT struct{ next http.RoundTripper }

func (t *redirectRT) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || !isRedirect(resp.StatusCode) || req.Method == http.MethodGet || req.Method == http.MethodHead {
		return resp, err
	}
	to, lerr := resp.Location()
	code := resp.StatusCode
	resp.Body.Close()
	if lerr != nil {
		return nil, &RedirectError{Method: req.Method, Path: req.URL.Path, To: resp.Header.Get("Location"), Code: code}
	}
	if (code != http.StatusMovedPermanently && code != http.StatusPermanentRedirect) || !onlySlashAdded(req.URL, to) {
		return nil, &RedirectError{Method: req.Method, Path: req.URL.Path, To: to.String(), Code: code}
	}
	again := req.Clone(req.Context())
	again.URL = to
	again.Host = ""
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, &RedirectError{Method: req.Method, Path: req.URL.Path, To: to.String(), Code: code}
		}
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	resp, err = t.next.RoundTrip(again)
	if err == nil && isRedirect(resp.StatusCode) { // no second hop
		resp.Body.Close()
		return nil, &RedirectError{Method: req.Method, Path: to.Path, To: resp.Header.Get("Location"), Code: resp.StatusCode}
	}
	return resp, err
}

func isRedirect(code int) bool { return code >= 300 && code < 400 && code != http.StatusNotModified }

// onlySlashAdded reports whether to is from with a slash after its path.
func onlySlashAdded(from, to *url.URL) bool {
	return sameOrigin(to, from) && to.Path == from.Path+"/" && to.RawQuery == from.RawQuery
}
