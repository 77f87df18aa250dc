package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/transport"
)

func runEmulator(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo emulator", msg.T("Usage: kumo emulator [flags]\n\n"+
		"Runs an InfiniCLOUD-compatible WebDAV and REST server on this computer, for trying Kumo and for tests."))
	fs := c.fs
	data := fs.String("data", paths.Cache("emulator"), msg.T("folder for the emulated accounts' files"))
	addr := fs.String("addr", "127.0.0.1:0", msg.T("loopback address to listen on (port 0 picks a free one)"))
	accounts := fs.String("accounts", "", msg.T("JSON file of accounts and API keys (see docs/emulator.md); a demo account when empty"))
	fs.BoolVar(&c.verbose, "v", false, msg.T("log every request"))
	if code, ok := c.parse(args); !ok {
		return code
	}
	cfg := emulator.Config{DataDir: *data, Addr: *addr, Logger: c.logger(transport.NewRedactor(""))}
	if *accounts != "" {
		f, err := emulator.LoadAccounts(*accounts)
		if err != nil {
			return c.errorf(1, "%v", err)
		}
		cfg.Accounts, cfg.APIKeys = f.Accounts, f.APIKeys
	} else {
		key, secret := emulator.DemoAPIKey()
		cfg.Accounts, cfg.APIKeys = []emulator.Account{emulator.DemoAccount()}, map[string]string{key: secret}
	}
	cert, err := emulator.LoadOrCreateCert(*data)
	if err != nil {
		return c.errorf(1, "%v", err)
	}
	cfg.Cert = cert
	srv, err := emulator.Start(cfg)
	if err != nil {
		return c.errorf(1, "%v", err)
	}
	defer srv.Close()

	out := env.Stdout
	fmt.Fprint(out, msg.T("InfiniCLOUD emulator running; press Ctrl-C to stop.\n\n"))
	fmt.Fprintf(out, msg.T("  WebDAV Connection URL:  %sdav/   (backup area: %sbackup/)\n"), srv.URL, srv.URL)
	fmt.Fprintf(out, msg.T("  REST API server:        %s   (kumo login --api-url %s)\n"), srv.APIURL, srv.APIURL)
	for _, a := range cfg.Accounts {
		pw := a.AppsPassword
		if pw == "" {
			pw = msg.T("%s (login password; pre-2021 account)", a.Password)
		}
		fmt.Fprintf(out, msg.T("  Connection ID:          %s\n  Apps Password:          %s\n"), a.User, pw)
	}
	for key := range cfg.APIKeys {
		fmt.Fprintf(out, msg.T("  API key:                %s\n"), key)
	}
	fmt.Fprintf(out, msg.T("  Certificate SHA-256:    %s\n"), cert.Fingerprint())
	fmt.Fprintf(out, msg.T("  Trust it with:          --ca-file %s\n"), filepath.Join(*data, emulator.CertFile))
	fmt.Fprintf(out, msg.T("  Files are stored under: %s\n"), *data)
	<-ctx.Done()
	return 0
}
