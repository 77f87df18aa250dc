package transport

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A PROPFIND answer from a hostile server never panics the parser, and
// whatever it accepts is a sane quota.
func FuzzParseQuota(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/</D:href><D:propstat><D:prop>` +
		`<D:quota-used-bytes>123</D:quota-used-bytes><D:quota-available-bytes>456</D:quota-available-bytes></D:prop>` +
		`<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`))
	f.Add([]byte(`<multistatus xmlns="DAV:"><response><propstat><prop><quota-used-bytes>-1</quota-used-bytes></prop></propstat></response></multistatus>`))
	f.Add([]byte(`<html><body>Login</body></html>`))
	f.Add([]byte(``))
	f.Add([]byte(`<D:multistatus xmlns:D="DAV:"><D:quota-used-bytes>99999999999999999999</D:quota-used-bytes>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := parseQuota(bytes.NewReader(data))
		if err != nil {
			return
		}
		if q.Used < 0 || q.Available < 0 {
			t.Fatalf("negative quota accepted: %+v", q)
		}
	})
}

// Only 32 uppercase hex characters pass, and the sentence never repeats the key.
func FuzzValidateAPIKey(f *testing.F) {
	for _, s := range []string{"0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef", "", "ZZZ", "0123456789ABCDEF0123456789ABCDEÉ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidateAPIKey(key)
		valid := len(key) == 32 && strings.Trim(key, "0123456789ABCDEF") == ""
		if (err == nil) != valid {
			t.Fatalf("ValidateAPIKey(%q) = %v", key, err)
		}
		if err != nil && len(key) >= 6 && strings.Contains(err.Error(), key) {
			t.Fatalf("the sentence repeats the key: %v", err)
		}
	})
}

// A request is accepted only with the right signature over exactly what
// was sent, and whatever is sent, Verify does not panic.
func FuzzVerify(f *testing.F) {
	const key, secret = "0123456789ABCDEF0123456789ABCDEF", "s3cret"
	f.Add("GET", "/api/v1/usage/", "a=1&b=2", int64(0))
	f.Add("PROPFIND", "/dav/ä b/", "", int64(30))
	f.Add("GET", "/", "api_key=x&ts=1&nonce=n&sig=00", int64(-200))
	f.Fuzz(func(t *testing.T, method, p, rawQuery string, skew int64) {
		now := time.Unix(1_800_000_000, 0)
		u := &url.URL{Scheme: "https", Host: "node.teracloud.jp", Path: p, RawQuery: rawQuery}
		secrets := func(k string) (string, bool) { return secret, k == key }
		// Whatever arrives, no panic.
		_, _ = Verify(method, u, secrets, now, &NonceCache{})

		if strings.ContainsAny(method, " \t\r\n") || method == "" {
			return
		}
		s := &Signer{APIKey: key, Secret: secret, Now: func() time.Time { return now.Add(time.Duration(skew) * time.Second) }}
		signed := *u
		if err := s.Sign(method, &signed); err != nil {
			return
		}
		_, err := Verify(method, &signed, secrets, now, &NonceCache{})
		inWindow := skew >= -int64(SignatureWindow/time.Second) && skew <= int64(SignatureWindow/time.Second)
		if inWindow && err != nil {
			t.Fatalf("a fresh signed %s %s?%s was refused: %v", method, p, signed.RawQuery, err)
		}
		if !inWindow && err == nil {
			t.Fatalf("a request signed %d s off was accepted", skew)
		}
		if err == nil && method != "DELETE" {
			if _, err := Verify("DELETE", &signed, secrets, now, &NonceCache{}); err == nil {
				t.Fatalf("a signature for %s was accepted for DELETE", method)
			}
		}
	})
}
