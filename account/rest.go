package account

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

// APIServers are the REST API server's addresses: the one the service's
// authentication page documents, then the name newer clients use. The API
// server only says who a user is and which node holds their data; the
// data and its usage live on the node.
var APIServers = []string{"https://api.teracloud.jp/", "https://api.infini-cloud.net/"}

// AppAPIKey is Kumo's own application key for the REST API. The service
// issues keys to applications through its registration form; whoever
// builds a release sets it (make KUMO_API_KEY=...), and it is empty in the
// repository. A user's own key (Settings, --api-key-file) wins over it.
var AppAPIKey string

// RESTKey is the API key to use for a, or "" when there is none (or the
// account is not on InfiniCLOUD).
func (a Account) RESTKey(s Secrets) string {
	switch {
	case a.Service != InfiniCLOUD:
		return ""
	case s.APIKey != "":
		return s.APIKey
	}
	return AppAPIKey
}

// UserInfo is what the API server's ba/user says about a user.
type UserInfo struct {
	Result        int    `json:"result"`
	User          string `json:"user"`
	IntroduceCode string `json:"introduce_code"`
	Node          string `json:"node"`
	WebDAVURL     string `json:"webdav_url"`
	CapacityGB    int64  `json:"capacity"` // the contract's size
	Revision      int    `json:"revision"`
	APIKey        *struct {
		Name   string `json:"name"`
		Vendor string `json:"vendor"`
	} `json:"api_key"`
}

// LookupUser asks the API server who user is and which node holds their
// data (GET /v2/api/ba/user with BASIC and the API key): the service's
// recommended onboarding, so a person types only an ID and a password.
// Each server in opts.APIServers (APIServers when empty) is tried in turn
// while they cannot be reached.
// a gives the Connection ID (and a certificate authority file, if any).
func LookupUser(ctx context.Context, a Account, s Secrets, key string, opts Options) (*UserInfo, error) {
	servers := opts.APIServers
	if len(servers) == 0 {
		servers = APIServers
	}
	user := a.User
	opts.Retry = checkRetry // a person is waiting for the answer
	var last error
	for _, server := range servers {
		c, err := connect(server, a, s, opts, &transport.APIKey{Key: key})
		if err != nil {
			return nil, err
		}
		var info UserInfo
		err = c.GetJSON(ctx, "v2/api/ba/user", &info)
		c.Close()
		switch {
		case err == nil && info.Result == 0 && info.WebDAVURL != "":
			return &info, nil
		case err == nil:
			return nil, problem.New(problem.RESTUnexpected, problem.Args{"host": hostOf(server)}, errors.New("ba/user answered without a WebDAV URL"))
		}
		if p := restProblem(err, hostOf(server), user); p != nil {
			return nil, p
		}
		last = err
	}
	return nil, problem.New(problem.RESTUnreachable, problem.Args{"host": hostOf(servers[0])}, last)
}

// NodeStorage reads how full the account is from its node (GET
// /v2/api/ba/dataset/(capacity), in bytes); "used" is the size on disk
// after compression, and deleted files stay counted while the service's
// snapshots hold them.
func NodeStorage(ctx context.Context, a Account, s Secrets, opts Options) (transport.Quota, error) {
	key := a.RESTKey(s)
	if key == "" {
		return transport.Quota{}, problem.New(problem.RESTNoKey, nil, nil)
	}
	c, err := connect(a.NodeURL(), a, s, opts, &transport.APIKey{Key: key})
	if err != nil {
		return transport.Quota{}, err
	}
	defer c.Close()
	var d struct {
		Result  int `json:"result"`
		Dataset map[string]struct {
			Quota int64 `json:"quota"`
			Used  int64 `json:"used"`
		} `json:"dataset"`
	}
	if err := c.GetJSON(ctx, "v2/api/ba/dataset/(capacity)", &d); err != nil {
		if p := restProblem(err, a.Host(), a.User); p != nil {
			return transport.Quota{}, p
		}
		return transport.Quota{}, problem.New(problem.RESTUnreachable, problem.Args{"host": a.Host()}, err)
	}
	root, ok := d.Dataset["__ROOT__"]
	if d.Result != 0 || !ok || root.Quota <= 0 || root.Used < 0 {
		return transport.Quota{}, problem.New(problem.RESTUnexpected, problem.Args{"host": a.Host()}, errors.New("no usable __ROOT__ dataset"))
	}
	return transport.Quota{Used: root.Used, Available: max(root.Quota-root.Used, 0), Known: true}, nil
}

// restProblem is the problem of a REST answer, or nil for a failure to
// reach the server at all (worth trying another).
func restProblem(err error, host, user string) error {
	var se *transport.StatusError
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code {
	case http.StatusAccepted:
		return problem.New(problem.NodeNotReady, nil, err)
	case http.StatusUnauthorized:
		return problem.New(problem.RESTWrongPassword, problem.Args{"user": user}, err)
	case http.StatusForbidden, http.StatusBadRequest:
		return problem.New(problem.APIKey, nil, err)
	}
	return problem.New(problem.RESTUnexpected, problem.Args{"host": host}, err)
}

// NodeURL is the root of the account's node (the host of its WebDAV URL).
func (a Account) NodeURL() string {
	u, err := url.Parse(a.URL)
	if err != nil {
		return ""
	}
	u.Path, u.RawPath = "/", ""
	return u.String()
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return strings.TrimSuffix(u.Host, ":443")
}

// Resolve turns a sign-in form into an account. An InfiniCLOUD form
// without a WebDAV Connection URL is looked up with ba/user (the service's
// recommended onboarding: a person types only the Connection ID and the
// Apps Password); the answer's node and URL come back in info. Without an
// API key, or when the lookup fails, the problem says to type the URL.
func Resolve(ctx context.Context, f Form, s Secrets, opts Options) (a Account, info *UserInfo, err error) {
	if f.Service != InfiniCLOUD || strings.TrimSpace(f.URL) != "" {
		a, err = f.Account()
		return a, nil, err
	}
	probe := Account{Service: InfiniCLOUD, User: strings.TrimSpace(f.User), CAFile: f.CAFile}
	key := probe.RESTKey(s)
	if key == "" {
		return a, nil, problem.New(problem.RESTNoKey, nil, nil)
	}
	if probe.User == "" {
		_, err = f.Account() // says the Connection ID is empty
		return a, nil, err
	}
	if info, err = LookupUser(ctx, probe, s, key, opts); err != nil {
		return a, nil, err
	}
	f.URL = info.WebDAVURL
	a, err = f.Account()
	return a, info, err
}
