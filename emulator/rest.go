package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/kumo-backup/kumo/transport"
)

// UserInfo is the API server's answer to GET /v2/api/ba/user, in the shape
// working clients read (AeroFTP's InfiniCloud module): who the user is,
// which node holds their data, and the contract size in GB.
type UserInfo struct {
	Result        int         `json:"result"`
	User          string      `json:"user"`
	IntroduceCode string      `json:"introduce_code"`
	Node          string      `json:"node"`
	WebDAVURL     string      `json:"webdav_url"`
	Capacity      int64       `json:"capacity"` // GB
	APIKey        *APIKeyInfo `json:"api_key,omitempty"`
	Revision      int         `json:"revision"`
}

// APIKeyInfo describes the application key a request came with.
type APIKeyInfo struct {
	Name          string `json:"name"`
	Note          string `json:"note"`
	Vendor        string `json:"vendor"`
	ActivatedTime string `json:"activated_time"`
}

// Dataset is a node's answer to GET /v2/api/ba/dataset/(capacity): bytes.
type Dataset struct {
	Result  int                      `json:"result"`
	Dataset map[string]DatasetFigure `json:"dataset"`
}

// DatasetFigure is one dataset's size; the account's is "__ROOT__".
type DatasetFigure struct {
	Quota int64 `json:"quota"`
	Used  int64 `json:"used"`
}

// Usage is the signed endpoint's answer (the second vendor's scheme).
type Usage struct {
	User      string `json:"user"`
	Quota     int64  `json:"quota"`
	Used      int64  `json:"used"`
	Available int64  `json:"available"`
}

// APIError is the body of a REST refusal. The real service's bodies are
// not documented: the codes are Kumo's, the statuses the documented ones.
type APIError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// REST refusal codes, distinct so a test can tell which rule refused.
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

// serveAPI is the API server: GET /v2/api/ba/user with BASIC and an API key.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if s.apiDown.Load() {
		panic(http.ErrAbortHandler) // an outage: the connection just ends
	}
	s.count("API " + r.Method)
	w.Header().Set("Server", "Kumo-InfiniCLOUD-emulator (API)")
	p, key := restKey(r)
	if strings.TrimSuffix(p, "/") != "/v2/api/ba/user" {
		http.NotFound(w, r)
		return
	}
	u := s.authenticate(w, r, true)
	if u == nil || !s.checkKey(w, key) || !onlyGET(w, r) {
		return
	}
	used, avail := u.quota()
	u.mu.Lock()
	acct := u.acct
	u.mu.Unlock()
	if acct.Pending {
		writeJSON(w, http.StatusAccepted, map[string]any{"result": 1, "message": "the account's node is being prepared"})
		return
	}
	node, davURL := s.cfg.NodeHost, "https://"+s.cfg.NodeHost+"/dav/"
	if node == "" {
		node, davURL = strings.TrimSuffix(strings.TrimPrefix(s.URL, "https://"), "/"), s.URL+"dav/"
	}
	writeJSON(w, http.StatusOK, UserInfo{Result: 0, User: acct.User, IntroduceCode: "KUMO" + strings.ToUpper(acct.User[:min(4, len(acct.User))]),
		Node: node, WebDAVURL: davURL, Capacity: (used + avail) >> 30,
		APIKey: &APIKeyInfo{Name: "registered application", Vendor: "emulator"}, Revision: 1})
}

// serveNodeREST is the node's REST call: GET /v2/api/ba/dataset/(capacity).
func (s *Server) serveNodeREST(w http.ResponseWriter, r *http.Request) {
	p, key := restKey(r)
	if p != "/v2/api/ba/dataset/(capacity)" && p != "/v2/api/ba/dataset/(capacity)/" {
		http.NotFound(w, r)
		return
	}
	u := s.authenticate(w, r, true)
	if u == nil || !s.checkKey(w, key) || !onlyGET(w, r) {
		return
	}
	used, avail := u.quota()
	writeJSON(w, http.StatusOK, Dataset{Result: 0, Dataset: map[string]DatasetFigure{"__ROOT__": {Quota: used + avail, Used: used}}})
}

// restKey finds the API key by header (current or legacy name) or as a
// ;api_key= matrix parameter, and returns the path without the latter.
func restKey(r *http.Request) (string, string) {
	p, matrixKey, hasMatrix := transport.CutMatrixParam(r.URL.Path, transport.MatrixAPIKey)
	key := r.Header.Get(transport.HeaderAPIKey)
	if key == "" {
		key = r.Header.Get(transport.HeaderAPIKeyLegacy)
	}
	if key == "" && hasMatrix {
		key = matrixKey
	}
	return p, key
}

// checkKey answers 403 for a missing, malformed or unregistered key: the
// documented status for the API key (the bodies are Kumo's).
func (s *Server) checkKey(w http.ResponseWriter, key string) bool {
	switch {
	case key == "":
		writeJSON(w, http.StatusForbidden, APIError{CodeAPIKeyMissing,
			"an API key is required: send it in the X-InfiniCLOUD-API-KEY header or as ;api_key= on the path"})
		return false
	case transport.ValidateAPIKey(key) != nil:
		writeJSON(w, http.StatusForbidden, APIError{CodeAPIKeyMalformed, transport.ValidateAPIKey(key).Error()})
		return false
	}
	if _, ok := s.cfg.APIKeys[key]; !ok {
		writeJSON(w, http.StatusForbidden, APIError{CodeAPIKeyUnknown, "this API key is not registered"})
		return false
	}
	return true
}

func onlyGET(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "only GET", http.StatusMethodNotAllowed)
		return false
	}
	return true
}

// serveSigned answers GET /api/v1/usage/ for a BASIC-authenticated user
// whose request is signed with a registered key: the seeds' second
// vendor's scheme (see transport.Verify), not InfiniCLOUD's.
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
		used, avail := u.quota()
		writeJSON(w, http.StatusOK, Usage{User: u.acct.User, Quota: used + avail, Used: used, Available: avail})
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
