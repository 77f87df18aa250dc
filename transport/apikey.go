package transport

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Header names the service reads the API key from.
const (
	HeaderAPIKey       = "X-InfiniCLOUD-API-KEY"
	HeaderAPIKeyLegacy = "X-TeraCLOUD-API-KEY"
	// MatrixAPIKey is the matrix parameter name: /v2/api/ba/user;api_key=KEY.
	MatrixAPIKey = "api_key"
)

// APIKeyMode is how the API key travels with a request.
type APIKeyMode int

const (
	APIKeyHeader       APIKeyMode = iota // X-InfiniCLOUD-API-KEY header (the default)
	APIKeyLegacyHeader                   // X-TeraCLOUD-API-KEY header
	APIKeyMatrix                         // ;api_key=KEY matrix parameter on the path
)

// APIKey is an application key for the REST API.
type APIKey struct {
	Key  string
	Mode APIKeyMode
}

// ValidateAPIKey checks the documented format: 128 bits as 32 uppercase
// hexadecimal characters. The message never repeats the key.
func ValidateAPIKey(key string) error {
	if len(key) != 32 {
		return fmt.Errorf("the API key has %d characters; it must be 32 uppercase hexadecimal characters (0-9, A-F), 128 bits", len(key))
	}
	for _, c := range key {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			if c >= 'a' && c <= 'f' {
				return fmt.Errorf("the API key has lowercase letters; it must be 32 uppercase hexadecimal characters (0-9, A-F)")
			}
			return fmt.Errorf("the API key has a character outside 0-9 and A-F; it must be 32 uppercase hexadecimal characters")
		}
	}
	return nil
}

// apply adds the key to an outgoing request.
func (k *APIKey) apply(r *http.Request) {
	switch k.Mode {
	case APIKeyLegacyHeader:
		r.Header.Set(HeaderAPIKeyLegacy, k.Key)
	case APIKeyMatrix:
		AddMatrixParam(r.URL, MatrixAPIKey, k.Key)
	default:
		r.Header.Set(HeaderAPIKey, k.Key)
	}
}

// AddMatrixParam appends ;name=value to the last non-empty path segment:
// /v2/api/ba/user becomes /v2/api/ba/user;api_key=KEY.
func AddMatrixParam(u *url.URL, name, value string) {
	add := func(p string) string {
		trail := strings.HasSuffix(p, "/")
		p = strings.TrimSuffix(p, "/")
		p += ";" + name + "=" + value
		if trail {
			p += "/"
		}
		return p
	}
	escaped := add(u.EscapedPath())
	u.Path = add(u.Path)
	u.RawPath = escaped
}

// CutMatrixParam removes every ;name=value from the path's segments and
// returns the path without them and the last value found.
func CutMatrixParam(p, name string) (rest, value string, found bool) {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		parts := strings.Split(seg, ";")
		kept := parts[:1]
		for _, param := range parts[1:] {
			if k, v, _ := strings.Cut(param, "="); k == name {
				value, found = v, true
				continue
			}
			kept = append(kept, param)
		}
		segs[i] = strings.Join(kept, ";")
	}
	return strings.Join(segs, "/"), value, found
}
