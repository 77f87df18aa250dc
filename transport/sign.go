package transport

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Signed requests follow the signed-request scheme the service's vendor
// documents (seed 004): every request carries four query parameters,
//
//	api_key  the application's key
//	ts       the current Unix time in seconds (UTC)
//	nonce    32 hex characters from a cryptographic random source, new per request
//	sig      lowercase hex HMAC-SHA256, keyed with the application's secret,
//	         over the base string below
//
// The documentation leaves the base string open; Kumo defines it as five
// lines joined by "\n", with no trailing newline:
//
//	METHOD                 upper case, e.g. GET
//	ESCAPED-PATH           the request path exactly as sent, e.g. /api/v1/usage/
//	CANONICAL-QUERY        every query parameter except sig, sorted by name then
//	                       value, each name=value URL-encoded, joined by "&"
//	TS                     the ts value
//	NONCE                  the nonce value
//
// A server rejects a ts more than SignatureWindow from its clock and any
// nonce it has seen within the window.
const SignatureWindow = 90 * time.Second

// Errors a signed request can be refused with.
var (
	ErrSignatureMissing = errors.New("the request is not signed: api_key, ts, nonce and sig are required")
	ErrStaleTimestamp   = errors.New("the request's timestamp is more than 90 seconds from the server's clock: check this computer's date and time")
	ErrReplayedNonce    = errors.New("the request's nonce was already used: a request was replayed")
	ErrBadSignature     = errors.New("the request's signature does not match: the API secret is wrong or the request was altered")
	ErrUnknownAPIKey    = errors.New("the API key is not registered with the service")
)

// Signer signs requests with an application key and secret.
type Signer struct {
	APIKey string
	Secret string
	Now    func() time.Time // time.Now when nil
}

// Sign sets api_key, ts, nonce and sig on u for a request with method.
func (s *Signer) Sign(method string, u *url.URL) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return err
	}
	q := u.Query()
	q.Del("sig")
	q.Set("api_key", s.APIKey)
	q.Set("ts", strconv.FormatInt(now().UTC().Unix(), 10))
	q.Set("nonce", hex.EncodeToString(n[:]))
	u.RawQuery = q.Encode()
	q.Set("sig", signature(s.Secret, method, u))
	u.RawQuery = q.Encode()
	return nil
}

// SignatureBase is the string a signature covers (see the package comment).
func SignatureBase(method string, u *url.URL) string {
	q := u.Query()
	q.Del("sig")
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var canon []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			canon = append(canon, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	return strings.Join([]string{
		strings.ToUpper(method), u.EscapedPath(), strings.Join(canon, "&"), q.Get("ts"), q.Get("nonce"),
	}, "\n")
}

func signature(secret, method string, u *url.URL) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(SignatureBase(method, u)))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signed request: known key, fresh timestamp, unused nonce,
// matching signature. It returns the API key on success.
func Verify(method string, u *url.URL, secretFor func(apiKey string) (string, bool), now time.Time, nonces *NonceCache) (string, error) {
	q := u.Query()
	key, ts, nonce, sig := q.Get("api_key"), q.Get("ts"), q.Get("nonce"), q.Get("sig")
	if key == "" || ts == "" || nonce == "" || sig == "" {
		return "", ErrSignatureMissing
	}
	if err := ValidateAPIKey(key); err != nil {
		return "", err
	}
	secret, ok := secretFor(key)
	if !ok {
		return "", ErrUnknownAPIKey
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", ErrStaleTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > SignatureWindow || d < -SignatureWindow {
		return "", ErrStaleTimestamp
	}
	want := signature(secret, method, u)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
		return "", ErrBadSignature
	}
	// Only a correctly signed request spends its nonce.
	if !nonces.Use(key+":"+nonce, now) {
		return "", ErrReplayedNonce
	}
	return key, nil
}

// NonceCache remembers nonces for twice the signature window, which is as
// long as a request carrying them could still be accepted.
type NonceCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// Use records nonce and reports whether it was new.
func (c *NonceCache) Use(nonce string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[string]time.Time)
	}
	for n, exp := range c.seen {
		if now.After(exp) {
			delete(c.seen, n)
		}
	}
	if _, ok := c.seen[nonce]; ok {
		return false
	}
	c.seen[nonce] = now.Add(2 * SignatureWindow)
	return true
}
