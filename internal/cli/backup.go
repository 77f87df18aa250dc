package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/transport"
)

func runBackup(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("kumo backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	once := fs.Bool("once", false, "back up once and exit")
	demo := fs.Bool("demo", false, "back up to a built-in InfiniCLOUD emulator on this computer (no account needed; implies --once)")
	serverURL := fs.String("url", "", "WebDAV Connection URL of the backup area, e.g. https://NODE.teracloud.jp/backup/")
	user := fs.String("user", "", "Connection ID (your user ID)")
	device := fs.String("device", defaultDevice(), "name of this computer on the server")
	workers := fs.Int("workers", 4, "parallel uploads")
	caFile := fs.String("ca-file", "", "PEM file of a certificate authority to trust instead of the system's (self-hosted servers)")
	verbose := fs.Bool("v", false, "log every request")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: kumo backup --once --url URL --user ID [flags] FOLDER\n       kumo backup --demo FOLDER\n\nThe Apps Password is read from the KUMO_PASSWORD environment variable.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	folder := fs.Arg(0)
	logger := newLogger(env.Stderr, *verbose)

	var cfg transport.Config
	if *demo {
		srv, acct, dir, err := startDemo(env)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kumo backup: cannot start the demo server: %v\n", err)
			return 1
		}
		defer srv.Close()
		cfg = transport.Config{URL: srv.URL + "backup/", User: acct.User, Password: acct.AppsPassword, RootCAs: srv.Pool()}
		defer fmt.Fprintf(env.Stdout, "The demo server keeps its files in %s\n", filepath.Join(dir, acct.User, "backup"))
	} else {
		if !*once {
			fmt.Fprintln(env.Stderr, "kumo backup: add --once: this version backs up once and exits (continuous backup is `kumo daemon`, not built yet)")
			return 2
		}
		if *serverURL == "" || *user == "" {
			fmt.Fprintln(env.Stderr, "kumo backup: --url and --user are required (the WebDAV Connection URL and Connection ID from your provider), or try --demo")
			return 2
		}
		password := env.Getenv("KUMO_PASSWORD")
		if password == "" {
			fmt.Fprintln(env.Stderr, "kumo backup: no password: set the KUMO_PASSWORD environment variable to your Apps Password")
			return 2
		}
		roots, err := loadCAFile(*caFile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kumo backup: %v\n", err)
			return 1
		}
		cfg = transport.Config{URL: *serverURL, User: *user, Password: password, RootCAs: roots}
	}
	cfg.Connections, cfg.UserAgent, cfg.Logger = *workers, "Kumo/"+env.Build.Version, logger
	client, err := transport.New(cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo backup: %v\n", err)
		return 1
	}
	defer client.Close()

	sum, err := backup.RunOnce(ctx, client, backup.Options{Root: folder, Device: *device, Workers: *workers, Logger: logger})
	if sum != nil {
		printSummary(env.Stdout, client.URL(sum.Remote+"/"), sum)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo backup: %s\n", client.Redact(err.Error()))
		return 1
	}
	if len(sum.Failed) > 0 {
		return 1
	}
	return 0
}

// startDemo runs the emulator in-process with the demo account, keeping its
// files (and certificate) in the user's cache folder between runs.
func startDemo(env Env) (*emulator.Server, emulator.Account, string, error) {
	dir := dataDir("demo")
	acct := emulator.DemoAccount()
	cert, err := emulator.LoadOrCreateCert(dir)
	if err != nil {
		return nil, acct, "", err
	}
	srv, err := emulator.Start(emulator.Config{DataDir: dir, Accounts: []emulator.Account{acct}, Cert: cert})
	if err != nil {
		return nil, acct, "", err
	}
	fmt.Fprintf(env.Stdout, "Demo: backing up to a local InfiniCLOUD emulator at %s\n", srv.URL)
	return srv, acct, dir, nil
}

func loadCAFile(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return roots, nil
}
