package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/paths"
)

// runDoctor records, for a bug report, what the account's server does
// where Kumo must not assume; the report names no password, key, user or
// file, and is saved to a file as well as printed.
func runDoctor(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo doctor", "Usage: kumo doctor [--out FILE]\n\n"+
		"Checks what your server actually does (WebDAV class, quota properties, redirects,\n"+
		"ETags, the REST API, the certificate chain, round-trip time), prints it and saves it\n"+
		"to a file you can attach to a bug report. It contains no password, key, user or file name.")
	c.connect("check the built-in demo server")
	out := c.fs.String("out", "", "where to save the report (default: Kumo's cache folder)")
	if code, ok := c.parse(args); !ok {
		return code
	}
	s, _, code := c.open()
	if s == nil {
		return code
	}
	defer s.Close()
	opts := s.AccountOptions()
	if servers := c.apiServers(); servers != nil {
		opts.APIServers = servers
	}
	r, err := account.Doctor(ctx, s.Account, s.Secrets, opts)
	if err != nil {
		return c.fail(s, err)
	}
	fmt.Fprint(env.Stdout, r.Text())
	path := *out
	if path == "" {
		path = filepath.Join(paths.Cache("doctor"), "kumo-doctor-"+format.Stamp(r.When)+".txt")
	}
	if err := account.SaveReport(r, path); err != nil {
		return c.errorf(1, "the report could not be saved: %v", err)
	}
	fmt.Fprintf(env.Stdout, "\nSaved to %s: attach it to a bug report.\n", path)
	return 0
}
