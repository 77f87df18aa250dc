package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/paths"
)

// runDoctor records, for a bug report, what the account's server does
// where Kumo must not assume; the report names no password, key, user or
// file, and is saved to a file as well as printed.
func runDoctor(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo doctor", msg.T("Usage: kumo doctor [--out FILE]\n\n"+
		"Checks what your server actually does (WebDAV class, quota properties, redirects,\n"+
		"ETags, the REST API, the certificate chain, round-trip time), prints it and saves it\n"+
		"to a file you can attach to a bug report. It contains no password, key, user or file name."))
	c.connect(msg.T("check the built-in demo server"))
	out := c.fs.String("out", "", msg.T("where to save the report (default: Kumo's cache folder)"))
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
	// What holds uploads here, as the platform says it (no names in it).
	r.Findings = append(r.Findings, account.Finding{Name: "network and power", Value: conditionsNow(ctx, env).Seen})
	fmt.Fprint(env.Stdout, r.Text())
	path := *out
	if path == "" {
		path = filepath.Join(paths.Cache("doctor"), "kumo-doctor-"+format.Stamp(r.When)+".txt")
	}
	if err := account.SaveReport(r, path); err != nil {
		return c.errorf(1, msg.T("the report could not be saved: %v"), err)
	}
	fmt.Fprintf(env.Stdout, msg.T("\nSaved to %s: attach it to a bug report.\n"), path)
	return 0
}

// conditionsNow is the network and power as the platform first tells them,
// or in words that it did not within 3 s.
func conditionsNow(ctx context.Context, env Env) conditions.State {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	told := make(chan conditions.State, 1)
	go conditions.FromEnv(env.Getenv).Watch(ctx, func(st conditions.State) {
		select {
		case told <- st:
		default:
		}
	})
	select {
	case st := <-told:
		return st
	case <-ctx.Done():
		st := conditions.Unknown
		st.Seen = "no answer from the platform within 3 s"
		return st
	}
}
