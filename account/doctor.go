package account

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/transport"
)

// Finding is one behaviour kumo doctor observed.
type Finding struct {
	Name, Value string
}

// Report is what a server actually does, for a bug report: it names no
// password, no key, no user and no file of the user's.
type Report struct {
	When     time.Time
	Findings []Finding
}

func (r *Report) add(name, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{name, fmt.Sprintf(format, args...)})
}

// Text is the report as a person reads and sends it.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Kumo doctor report, %s\n", r.When.UTC().Format(time.RFC3339))
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%-32s %s\n", f.Name+":", f.Value)
	}
	return b.String()
}

// Doctor records what the account's server does where Kumo must not
// assume: its WebDAV class, quota properties, the answer to a collection
// asked for without its slash, its ETags, the REST API, the certificate
// chain and the round-trip time. It writes only a probe folder of its own
// inside the device folder, and removes it.
func Doctor(ctx context.Context, a Account, s Secrets, opts Options) (*Report, error) {
	opts.Retry = checkRetry
	c, err := Connect(a, s, opts)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	r := &Report{When: time.Now()}
	r.add("service", "%s", a.Service)
	r.add("server", "%s", a.Host())

	var rtts []time.Duration
	for range 5 {
		x, err := c.Do(ctx, "OPTIONS", "/", nil, "")
		if err != nil {
			r.add("reachable", "no: %s", c.Redact(err.Error()))
			return r, nil
		}
		rtts = append(rtts, x.Elapsed)
		if len(rtts) == 1 {
			r.add("HTTP version", "%s", x.Proto)
			r.add("DAV class", "%s", orNone(x.Header.Get("DAV")))
			r.add("Server header", "%s", orNone(x.Header.Get("Server")))
			r.add("OPTIONS status", "%d", x.Status)
		}
	}
	slices.Sort(rtts)
	r.add("round trip (OPTIONS, 5 tries)", "min %s, median %s", rtts[0].Round(time.Millisecond), rtts[2].Round(time.Millisecond))

	if q, err := c.Quota(ctx); err != nil {
		r.add("area PROPFIND", "failed: %s", c.Redact(err.Error()))
	} else if q.Known {
		r.add("RFC 4331 quota properties", "answered (used %d, available %d bytes)", q.Used, q.Available)
	} else {
		r.add("RFC 4331 quota properties", "not offered (404 or absent)")
	}
	doctorProbe(ctx, r, c, a)
	doctorREST(ctx, r, a, s, opts)
	doctorTLS(ctx, r, c)
	for i := range r.Findings {
		v := c.Redact(r.Findings[i].Value)
		if len(a.User) >= 3 {
			v = strings.ReplaceAll(v, a.User, "[user]")
		}
		r.Findings[i].Value = v
	}
	return r, nil
}

// doctorProbe makes a probe folder and file to see redirects and ETags.
func doctorProbe(ctx context.Context, r *Report, c *transport.Client, a Account) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	dir := path.Join(a.Device, ".kumo-doctor-"+hex.EncodeToString(b))
	if err := c.Mkdir(ctx, a.Device); err != nil {
		r.add("probe folder", "cannot create the device folder: %s", c.Redact(err.Error()))
		return
	}
	x, err := c.Do(ctx, "MKCOL", dir+"/", nil, "")
	if err != nil || x.Status != http.StatusCreated {
		r.add("probe folder", "MKCOL answered %s", statusOr(x, err))
		return
	}
	defer c.Do(context.WithoutCancel(ctx), http.MethodDelete, dir+"/", nil, "")
	x, err = c.Do(ctx, "PROPFIND", dir, http.Header{"Depth": {"0"}}, "")
	switch {
	case err != nil:
		r.add("collection without slash", "PROPFIND failed: %s", c.Redact(err.Error()))
	case x.Status == http.StatusMovedPermanently || x.Status == http.StatusPermanentRedirect:
		loc := x.Header.Get("Location")
		same := strings.HasSuffix(loc, "/"+dir+"/")
		r.add("collection without slash", "PROPFIND answered %d to %s", x.Status, map[bool]string{true: "the same path with a slash (like Apache's mod_dir)", false: "another address"}[same])
	default:
		r.add("collection without slash", "PROPFIND answered %d (no redirect)", x.Status)
	}
	file := dir + "/probe.txt"
	x, err = c.Do(ctx, http.MethodPut, file, http.Header{"Content-Type": {"text/plain"}}, "Kumo doctor probe, removed right after.\n")
	if err != nil || x.Status >= 300 {
		r.add("upload", "PUT answered %s", statusOr(x, err))
		return
	}
	r.add("upload", "PUT answered %d, ETag %s", x.Status, etagForm(x.Header.Get("ETag")))
	x, err = c.Do(ctx, http.MethodGet, file, http.Header{"Accept-Encoding": {"gzip"}}, "")
	if err != nil {
		r.add("download", "GET failed: %s", c.Redact(err.Error()))
		return
	}
	r.add("download", "GET answered %d, ETag %s, Content-Encoding %s", x.Status, etagForm(x.Header.Get("ETag")), orNone(x.Header.Get("Content-Encoding")))
	if x, err = c.Do(ctx, http.MethodDelete, dir, nil, ""); err == nil {
		r.add("DELETE of a collection without slash", "answered %d", x.Status)
	}
}

// doctorREST reports the REST API: reachable, which fields ba/user has,
// whether the node gives storage figures.
func doctorREST(ctx context.Context, r *Report, a Account, s Secrets, opts Options) {
	key := a.RESTKey(s)
	switch {
	case a.Service != InfiniCLOUD:
		r.add("REST API", "not asked (not InfiniCLOUD)")
		return
	case key == "":
		r.add("REST API", "not asked (no API key: none in Settings, none built in)")
		return
	}
	servers := opts.APIServers
	if len(servers) == 0 {
		servers = APIServers
	}
	for _, server := range servers {
		c, err := connect(server, a, s, opts, &transport.APIKey{Key: key})
		if err != nil {
			r.add("REST API server "+hostOf(server), "%s", err)
			continue
		}
		var fields map[string]json.RawMessage
		err = c.GetJSON(ctx, "v2/api/ba/user", &fields)
		c.Close()
		if err != nil {
			r.add("REST API server "+hostOf(server)+" ba/user", "%s", statusOr(nil, err))
			continue
		}
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		r.add("REST API server "+hostOf(server)+" ba/user", "200, fields: %s", strings.Join(names, ", "))
	}
	if q, err := NodeStorage(ctx, a, s, opts); err != nil {
		r.add("REST API node dataset/(capacity)", "%s", err)
	} else {
		r.add("REST API node dataset/(capacity)", "used %d of %d bytes", q.Used, q.Used+q.Available)
	}
}

func doctorTLS(ctx context.Context, r *Report, c *transport.Client) {
	ch, err := c.InspectTLS(ctx)
	if err != nil {
		r.add("TLS", "%s", err)
		return
	}
	state := "complete"
	switch {
	case ch.Complete:
	case ch.Fetched:
		state = fmt.Sprintf("incomplete; the intermediate fetched from %s completes it", strings.Join(ch.AIA, ", "))
	default:
		state = fmt.Sprintf("not trusted: %v", ch.VerifyErr)
	}
	r.add("TLS", "%s, certificate until %s", tls.VersionName(ch.Version), ch.NotAfter.UTC().Format("2006-01-02"))
	r.add("TLS chain", "%d certificates sent, %s", ch.Sent, state)
}

func etagForm(e string) string {
	switch {
	case e == "":
		return "none"
	case strings.HasPrefix(e, "W/") && strings.HasSuffix(e, `-gzip"`):
		return `weak, with "-gzip"`
	case strings.HasPrefix(e, "W/"):
		return "weak"
	}
	return "strong"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func statusOr(x *transport.Exchange, err error) string {
	var se *transport.StatusError
	switch {
	case err != nil && errors.As(err, &se):
		return fmt.Sprintf("%d", se.Code)
	case err != nil:
		return err.Error()
	}
	return fmt.Sprintf("%d", x.Status)
}

// SaveReport writes the report where a person can find and attach it, as
// a file only they can read, and returns its path.
func SaveReport(r *Report, path string) error { return writeFileAtomic(path, []byte(r.Text()), 0o600) }
