package transport

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// ErrDigestOnly is a server that asks for Digest authentication, which the
// service never uses: the address is probably not the service's.
var ErrDigestOnly = errors.New("the server asks for Digest authentication, which InfiniCLOUD does not use: " +
	"check the WebDAV Connection URL (it looks like https://NODE.teracloud.jp/dav/)")

// credentials are what authRT adds to requests for the service's origin.
type credentials struct {
	user, password string
	apiKey         *APIKey
	signer         *Signer
	challenge      bool // BASIC only after a 401 challenge, except uploads
}

// authRT adds credentials to requests for one origin (scheme, host and port)
// and strips them from requests anywhere else, so a redirect can never carry
// the password, the API key or a signature to another host.
type authRT struct {
	next   http.RoundTripper
	origin *url.URL
	creds  credentials
}

func (t *authRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if !sameOrigin(r.URL, t.origin) {
		stripCredentials(r)
		return t.next.RoundTrip(r)
	}
	if t.creds.apiKey != nil {
		t.creds.apiKey.apply(r)
	}
	if t.creds.signer != nil {
		if err := t.creds.signer.Sign(r.Method, r.URL); err != nil {
			return nil, err
		}
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	// Uploads stay preemptive: waiting for a challenge would mean sending
	// (or buffering) the body twice.
	if !t.creds.challenge || r.Method == http.MethodPut || (hasBody && req.GetBody == nil) {
		r.SetBasicAuth(t.creds.user, t.creds.password)
		return checkDigest(t.next.RoundTrip(r))
	}

	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if !offers(resp, "basic") {
		return checkDigest(resp, nil)
	}
	resp.Body.Close()
	again := r.Clone(r.Context())
	if hasBody {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	again.SetBasicAuth(t.creds.user, t.creds.password)
	return checkDigest(t.next.RoundTrip(again))
}

// checkDigest turns a 401 that only offers Digest into ErrDigestOnly.
func checkDigest(resp *http.Response, err error) (*http.Response, error) {
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if offers(resp, "digest") && !offers(resp, "basic") {
		resp.Body.Close()
		return nil, ErrDigestOnly
	}
	return resp, nil
}

// offers reports whether a 401 challenges with the given scheme.
func offers(resp *http.Response, scheme string) bool {
	for _, v := range resp.Header.Values("Www-Authenticate") {
		for _, part := range strings.Split(v, ",") {
			fields := strings.Fields(part)
			if len(fields) > 0 && strings.EqualFold(fields[0], scheme) {
				return true
			}
		}
	}
	return false
}

func sameOrigin(u, origin *url.URL) bool {
	return strings.EqualFold(u.Scheme, origin.Scheme) && strings.EqualFold(u.Host, origin.Host)
}

// stripCredentials removes anything secret a redirected request could carry.
func stripCredentials(r *http.Request) {
	r.Header.Del("Authorization")
	r.Header.Del(HeaderAPIKey)
	r.Header.Del(HeaderAPIKeyLegacy)
	if rest, _, found := CutMatrixParam(r.URL.Path, MatrixAPIKey); found {
		r.URL.Path, r.URL.RawPath = rest, ""
	}
	q := r.URL.Query()
	if q.Has("sig") || q.Has("api_key") {
		for _, k := range []string{"api_key", "ts", "nonce", "sig"} {
			q.Del(k)
		}
		r.URL.RawQuery = q.Encode()
	}
}
