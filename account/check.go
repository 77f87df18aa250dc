package account

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/transport"
)

// Problem names a class of connection failure, for code that reacts to it.
type Problem string

const (
	ProblemWrongPassword     Problem = "wrong-password"
	ProblemAppsConnectionOff Problem = "apps-connection-off"
	ProblemHostNotFound      Problem = "host-not-found"
	ProblemOffline           Problem = "offline"
	ProblemTLSExpired        Problem = "tls-expired"
	ProblemTLSWrongHost      Problem = "tls-wrong-host"
	ProblemTLSUntrusted      Problem = "tls-untrusted"
	ProblemTLSPin            Problem = "tls-pin"
	ProblemTLSOld            Problem = "tls-old"
	ProblemPlainHTTP         Problem = "plain-http"
	ProblemDigestOnly        Problem = "digest-only"
	ProblemAreaMissing       Problem = "area-missing"
	ProblemAreaReadOnly      Problem = "area-read-only"
	ProblemQuotaFull         Problem = "quota-full"
	ProblemAPIKey            Problem = "api-key"
	ProblemDeviceTaken       Problem = "device-taken"
	ProblemServer            Problem = "server"
)

// CheckError is a failed check: Message is the sentence for the user.
type CheckError struct {
	Problem Problem
	Message string
	Err     error
}

func (e *CheckError) Error() string { return e.Message }
func (e *CheckError) Unwrap() error { return e.Err }

// Status is what a successful check learned.
type Status struct {
	Quota       transport.Quota
	QuotaSource string   // "REST API" or "WebDAV"
	Devices     []string // device folders on the account, this one included
}

// Options are the connection settings that are not part of the account.
type Options struct {
	RootCAs     *x509.CertPool // replaces the system roots (and Account.CAFile)
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	Logger      *slog.Logger
	MachineID   string // this computer's ID, to recognise its device folder
	TakeOver    bool   // allow adopting a device folder another computer made
}

// Connect builds a transport client for the account's area.
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
		DialContext: opts.DialContext, Logger: opts.Logger, Connections: 4,
		Retry: transport.RetryPolicy{Attempts: 2, BaseDelay: 200 * time.Millisecond},
	})
	if err != nil {
		return nil, &CheckError{Problem: ProblemPlainHTTP, Message: err.Error(), Err: err}
	}
	return c, nil
}

// Check proves the account works end to end: the server is reachable and
// trusted, the credentials open the area, Kumo can write there and the
// account has room. Every failure is a *CheckError with a sentence.
func Check(ctx context.Context, a Account, s Secrets, opts Options) (*Status, error) {
	if err := a.Validate(); err != nil {
		p := ProblemServer
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.URL)), "http://") {
			p = ProblemPlainHTTP
		}
		return nil, &CheckError{Problem: p, Message: err.Error(), Err: err}
	}
	c, err := Connect(a, s, opts)
	if err != nil {
		return nil, err
	}
	defer c.Close()

	st := &Status{QuotaSource: "WebDAV"}
	if st.Quota, err = c.Quota(ctx); err != nil {
		return nil, explain(ctx, err, a, s, opts)
	}
	if a.HasAPIKey && s.APIKey != "" {
		q, err := RESTQuota(ctx, a, s, opts)
		if err != nil {
			return nil, explain(ctx, err, a, s, opts)
		}
		st.Quota, st.QuotaSource = q, "REST API"
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

// RESTQuota reads usage from the REST API (GET /ba/user/ with the API key).
func RESTQuota(ctx context.Context, a Account, s Secrets, opts Options) (transport.Quota, error) {
	c, err := connect(a.RESTURL(), a, s, opts, &transport.APIKey{Key: s.APIKey})
	if err != nil {
		return transport.Quota{}, err
	}
	defer c.Close()
	var u struct{ Quota, Used, Available int64 }
	if err := c.GetJSON(ctx, "ba/user/", &u); err != nil {
		return transport.Quota{}, err
	}
	return transport.Quota{Used: u.Used, Available: u.Available, Known: true}, nil
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

// explain turns a transport failure into the sentence a user needs.
func explain(ctx context.Context, err error, a Account, s Secrets, opts Options) error {
	host := a.Host()
	wrap := func(p Problem, format string, args ...any) error {
		return &CheckError{Problem: p, Message: fmt.Sprintf(format, args...), Err: err}
	}
	var (
		dnsErr   *net.DNSError
		invalid  x509.CertificateInvalidError
		hostErr  x509.HostnameError
		unknown  x509.UnknownAuthorityError
		statusEr *transport.StatusError
	)
	switch {
	case errors.Is(err, transport.ErrDigestOnly):
		return wrap(ProblemDigestOnly, "%s", transport.ErrDigestOnly.Error())
	case errors.Is(err, transport.ErrPinMismatch):
		return wrap(ProblemTLSPin, "%s", transport.ErrPinMismatch.Error())
	case errors.Is(err, transport.ErrBadMultistatus):
		return wrap(ProblemServer, "%s", transport.ErrBadMultistatus.Error())
	case errors.As(err, &dnsErr):
		return wrap(ProblemHostNotFound, "Kumo cannot find the server %s: check the WebDAV Connection URL for typos "+
			"(it looks like https://NODE.teracloud.jp/dav/) and that this computer is online.", dnsErr.Name)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return wrap(ProblemTLSExpired, "The security certificate of %s expired on %s, so Kumo will not send your password to it. "+
			"If this computer's date is right, the server has to renew its certificate: try again later.",
			host, invalid.Cert.NotAfter.Format("2 January 2006"))
	case errors.As(err, &hostErr):
		return wrap(ProblemTLSWrongHost, "The security certificate presented by %s belongs to another server, so Kumo will not send your password: "+
			"check the address for typos; if it is right, someone may be intercepting the connection.", host)
	case errors.As(err, &unknown) || errors.As(err, &invalid):
		return wrap(ProblemTLSUntrusted, "The security certificate of %s is not from an authority this computer trusts, so Kumo will not send your password. "+
			"For a self-hosted server, give its certificate authority with --ca-file.", host)
	case errors.As(err, &statusEr):
		return explainStatus(ctx, statusEr, err, a, s, opts)
	case transport.Classify(err) == transport.ClassSetup && strings.Contains(err.Error(), "protocol version"):
		return wrap(ProblemTLSOld, "%s only offers old encryption (below TLS 1.2), so Kumo will not send your password to it. "+
			"Check the address; a self-hosted server needs TLS 1.2 or newer turned on.", host)
	}
	var netErr *transport.NetError
	if errors.As(err, &netErr) {
		return wrap(ProblemOffline, "Kumo cannot reach %s: this computer seems to be offline, or the server is not answering. "+
			"Check the internet connection and try again.", host)
	}
	return wrap(ProblemServer, "The check of %s failed: %v", host, err)
}

func explainStatus(ctx context.Context, se *transport.StatusError, err error, a Account, s Secrets, opts Options) error {
	wrap := func(p Problem, format string, args ...any) error {
		return &CheckError{Problem: p, Message: fmt.Sprintf(format, args...), Err: err}
	}
	if se.Path == "ba/user/" { // the REST API
		switch se.Code {
		case http.StatusUnauthorized:
			return wrap(ProblemWrongPassword, "InfiniCLOUD's REST API did not accept Connection ID %q with this password.", a.User)
		case http.StatusBadRequest, http.StatusForbidden:
			return wrap(ProblemAPIKey, "InfiniCLOUD refused the API key: check it on the developer page (32 characters, 0-9 and A-F), or remove it from Kumo's settings.")
		}
	}
	switch code := se.Code; {
	case code == http.StatusUnauthorized:
		if a.Service != InfiniCLOUD {
			return wrap(ProblemWrongPassword, "%s did not accept user %q with this password: check both and try again.", a.Host(), a.User)
		}
		// The REST API takes the login password whatever the WebDAV switch says:
		// if it opens with this password, Apps Connection must be off.
		if s.APIKey != "" {
			if _, rerr := RESTQuota(ctx, a, s, opts); rerr == nil {
				return wrap(ProblemAppsConnectionOff, "Your password is right, but Apps Connection is off for this account, so WebDAV refuses it. "+
					"On InfiniCLOUD's My Page, open Apps Connection, turn it on, and sign in here with the Apps Password it shows. "+
					"(Accounts registered after June 2021 start with it off.)")
			}
		}
		return wrap(ProblemWrongPassword, "InfiniCLOUD did not accept Connection ID %q with this password. Use the Apps Password shown on "+
			"My Page → Apps Connection, not your login password, and check that Apps Connection is turned on there "+
			"(accounts registered after June 2021 start with it off). If you reissued the Apps Password a moment ago, "+
			"wait a few minutes: the service takes a while to accept a new one.", a.User)
	case code == http.StatusNotFound || code == http.StatusConflict && se.Op != "PUT":
		return wrap(ProblemAreaMissing, "The folder %s does not exist on %s: check the address (InfiniCLOUD offers /dav/ and /backup/).", a.URL, a.Host())
	case code == http.StatusForbidden || code == http.StatusMethodNotAllowed || code == http.StatusConflict:
		if se.Op == "PUT" || se.Op == "MKCOL" {
			return wrap(ProblemAreaReadOnly, "Kumo can read %s but may not write to it (the server answered %d): "+
				"choose a folder you can write to, or ask the server's administrator.", a.URL, code)
		}
		return wrap(ProblemAreaMissing, "The server refused access to %s (%d): check the address.", a.URL, code)
	case code == http.StatusInsufficientStorage:
		return quotaFull(transport.Quota{}, err)
	}
	return wrap(ProblemServer, "%s answered %d %s to Kumo's check: try again later; if it persists, check the address.",
		a.Host(), se.Code, http.StatusText(se.Code))
}

func quotaFull(q transport.Quota, err error) error {
	msg := "Your storage is full: delete files or upgrade your plan on My Page, then try again."
	if q.Known {
		msg = fmt.Sprintf("Your storage is full (%s used, nothing left): delete files or upgrade your plan on My Page, then try again.",
			human.Bytes(q.Used))
	}
	return &CheckError{Problem: ProblemQuotaFull, Message: msg, Err: err}
}
