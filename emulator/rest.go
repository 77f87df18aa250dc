package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/kumo-backup/kumo/transport"
)

// Usage is the REST API's account usage answer.
type Usage struct {
	User      string `json:"user"`
	Quota     int64  `json:"quota"`
	Used      int64  `json:"used"`
	Available int64  `json:"available"`
}

// APIError is the body of every REST refusal: a stable code and a sentence.
type APIError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// REST refusal codes, distinct so a client can tell the user which is wrong.
const (
	CodeAPIKeyMissing   = "api_key_missing"
	CodeAPIKeyMalformed = "api_key_malformed"
	CodeAPIKeyUnknown   = "api_key_unknown"
	CodeSignature       = "signature_invalid"
	CodeStaleTimestamp  = "timestamp_stale"
	CodeReplayedNonce   = "nonce_replayed"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveREST answers GET /ba/user/ with the account's usage. It needs BASIC
// plus a registered API key, by header or by matrix parameter.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	restPath, matrixKey, hasMatrix := transport.CutMatrixParam(r.URL.Path, transport.MatrixAPIKey)
	if strings.TrimSuffix(restPath, "/") != "/ba/user" {
		http.NotFound(w, r)
		return
	}
	u := s.authenticate(w, r, true)
	if u == nil {
		return
	}
	key := r.Header.Get(transport.HeaderAPIKey)
	if key == "" {
		key = r.Header.Get(transport.HeaderAPIKeyLegacy)
	}
	if key == "" && hasMatrix {
		key = matrixKey
	}
	switch {
	case key == "":
		writeJSON(w, http.StatusBadRequest, APIError{CodeAPIKeyMissing,
			"an API key is required: send it in the X-InfiniCLOUD-API-KEY header or as ;api_key= on the path"})
		return
	case transport.ValidateAPIKey(key) != nil:
		writeJSON(w, http.StatusBadRequest, APIError{CodeAPIKeyMalformed, transport.ValidateAPIKey(key).Error()})
		return
	}
	if _, ok := s.cfg.APIKeys[key]; !ok {
		writeJSON(w, http.StatusForbidden, APIError{CodeAPIKeyUnknown, "this API key is not registered"})
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "only GET", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusOK, s.usage(u))
}

// serveSigned answers GET /api/v1/usage/ for a BASIC-authenticated user
// whose request is signed with a registered key (see transport.Verify).
func (s *Server) serveSigned(w http.ResponseWriter, r *http.Request) {
	if strings.TrimSuffix(r.URL.Path, "/") != "/api/v1/usage" {
		http.NotFound(w, r)
		return
	}
	u := s.authenticate(w, r, true)
	if u == nil {
		return
	}
	secretFor := func(k string) (string, bool) { sec, ok := s.cfg.APIKeys[k]; return sec, ok }
	_, err := transport.Verify(r.Method, r.URL, secretFor, s.cfg.Now(), &s.nonces)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, s.usage(u))
	case errors.Is(err, transport.ErrStaleTimestamp):
		writeJSON(w, http.StatusUnauthorized, APIError{CodeStaleTimestamp, err.Error()})
	case errors.Is(err, transport.ErrReplayedNonce):
		writeJSON(w, http.StatusUnauthorized, APIError{CodeReplayedNonce, err.Error()})
	case errors.Is(err, transport.ErrUnknownAPIKey):
		writeJSON(w, http.StatusForbidden, APIError{CodeAPIKeyUnknown, err.Error()})
	case errors.Is(err, transport.ErrSignatureMissing):
		writeJSON(w, http.StatusBadRequest, APIError{CodeAPIKeyMissing, err.Error()})
	case transport.ValidateAPIKey(r.URL.Query().Get("api_key")) != nil:
		writeJSON(w, http.StatusBadRequest, APIError{CodeAPIKeyMalformed, err.Error()})
	default:
		writeJSON(w, http.StatusUnauthorized, APIError{CodeSignature, err.Error()})
	}
}

func (s *Server) usage(u *user) Usage {
	used, avail := u.quota()
	u.mu.Lock()
	defer u.mu.Unlock()
	return Usage{User: u.acct.User, Quota: u.limit(), Used: used, Available: avail}
}
