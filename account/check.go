package account

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"path"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

// Status is what a successful check learned.
type Status struct {
	Quota       transport.Quota // Known false: the server does not say
	QuotaSource string          // "REST API", "WebDAV" or "" when unknown
	Devices     []string        // device folders on the account, this one included
	// RESTProblem is why the REST API could not give the storage figures,
	// when there is an API key; backing up works without it.
	RESTProblem error
}

// Options are the connection settings that are not part of the account.
type Options struct {
	RootCAs     *x509.CertPool // replaces the system roots (and Account.CAFile)
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	Logger      *slog.Logger
	MachineID   string // this computer's ID, to recognise its device folder
	TakeOver    bool   // allow adopting a device folder another computer made
	// Connections is how many uploads run at once when the user chose a
	// number (zero adapts to the link: transport.Pacer); UploadLimit caps
	// bytes per second (0: none).
	Connections int
	UploadLimit int64
	UserAgent   string
	// APIServers replace account.APIServers (the emulator's, for the demo).
	APIServers []string
	// Retry is the transport's default when zero; a check tries less hard.
	Retry transport.RetryPolicy
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// checkRetry keeps a connection check short: a person is waiting for it.
var checkRetry = transport.RetryPolicy{Attempts: 2, BaseDelay: 200 * time.Millisecond}

// Connect builds the transport client for the account's area: the one
// place a connection is made from an account, for the check, the app, the
// command line and the daemon alike.
func Connect(a Account, s Secrets, opts Options) (*transport.Client, error) {
	return connect(a.URL, a, s, opts, nil)
}

func connect(rawURL string, a Account, s Secrets, opts Options, key *transport.APIKey) (*transport.Client, error) {
	roots := opts.RootCAs
	if roots == nil && a.CAFile != "" {
		var err error
		if roots, err = LoadCAFile(a.CAFile); err != nil {
			return nil, err
		}
	}
	c, err := transport.New(transport.Config{
		URL: rawURL, User: a.User, Password: s.Password, RootCAs: roots, APIKey: key,
		DialContext: opts.DialContext, Logger: opts.Logger, Connections: opts.Connections,
		UploadLimit: opts.UploadLimit, UserAgent: opts.UserAgent, Retry: opts.Retry,
	})
	if err != nil {
		return nil, addressProblem(rawURL, err)
	}
	return c, nil
}

// addressProblem explains an address Kumo refuses to use.
func addressProblem(rawURL string, err error) error {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(rawURL)), "http://") {
		host := strings.TrimPrefix(strings.TrimSpace(rawURL), "http://")
		host, _, _ = strings.Cut(host, "/")
		return problem.New(problem.PlainHTTP, problem.Args{"host": host}, err)
	}
	return problem.New(problem.BadAddress, problem.Args{"reason": err.Error()}, err)
}

// Check proves the account works end to end: the server is reachable and
// trusted, the credentials open the area, Kumo can write there and the
// account has room. Every failure is a *problem.Error with a sentence.
func Check(ctx context.Context, a Account, s Secrets, opts Options) (*Status, error) {
	if err := a.Validate(); err != nil {
		return nil, addressProblem(a.URL, err)
	}
	opts.Retry = checkRetry
	c, err := Connect(a, s, opts)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	st := &Status{}
	// The PROPFIND proves the area exists and the credentials open it; its
	// RFC 4331 figures are used only if the server has them (the real
	// node answers 404 for both).
	if st.Quota, err = c.Quota(ctx); err != nil {
		return nil, explain(ctx, err, a, s, opts)
	}
	if st.Quota.Known {
		st.QuotaSource = "WebDAV"
	}
	if a.RESTKey(s) != "" {
		if q, err := NodeStorage(ctx, a, s, opts); err != nil {
			st.RESTProblem = err
			opts.logger().Warn("the REST API gave no storage figures; going on with WebDAV alone", "err", err)
		} else {
			st.Quota, st.QuotaSource = q, "REST API"
		}
	}
	if st.Quota.Known && st.Quota.Available == 0 {
		return nil, quotaFull(st.Quota, nil)
	}
	if err := claimDevice(ctx, c, a, opts); err != nil {
		return nil, err
	}
	if err := probeWrite(ctx, c, a.Device); err != nil {
		return nil, explain(ctx, err, a, s, opts)
	}
	st.Devices, _ = ListDevices(c)
	return st, nil
}

// probeWrite puts and removes a tiny file in the device folder.
func probeWrite(ctx context.Context, c *transport.Client, device string) error {
	probe := path.Join(device, ".kumo-write-check")
	content := []byte("kumo")
	err := c.Put(ctx, probe, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }, int64(len(content)))
	if err != nil {
		return err
	}
	_ = c.DAV().Remove(probe)
	return nil
}

// Where is what the problem table needs to word a failure of this account.
func (a Account) Where(checking bool) problem.Where {
	return problem.Where{Host: a.Host(), User: a.User, URL: a.URL, InfiniCLOUD: a.Service == InfiniCLOUD, Checking: checking}
}

// explain turns a failure of the check into its problem, telling apart
// what only this account's service can: the REST API's refusals, and a
// right password refused because Apps Connection is off.
func explain(ctx context.Context, err error, a Account, s Secrets, opts Options) error {
	p := problem.Explain(err, a.Where(true))
	// The REST API takes the login password whatever the WebDAV switch says
	// (Kumo's reading of the seeds, unconfirmed on the real service): if it
	// opens with this password, Apps Connection must be off.
	if key := a.RESTKey(s); p.Kind == problem.WrongPassword && key != "" {
		if _, rerr := LookupUser(ctx, a, s, key, opts); rerr == nil {
			return problem.New(problem.AppsConnectionOff, nil, err)
		}
	}
	return p
}

func quotaFull(q transport.Quota, err error) error {
	used := ""
	if q.Known {
		used = " (" + human.Bytes(q.Used) + " used, nothing left)"
	}
	return problem.New(problem.QuotaFull, problem.Args{"used": used}, err)
}
