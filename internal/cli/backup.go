package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/transport"
	"github.com/kumo-backup/kumo/watcher"
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
	limit := fs.Int64("limit-upload", 0, "upload limit in KiB/s (0: none)")
	var excludes patterns
	fs.Var(&excludes, "exclude", "leave out paths matching this gitignore-style pattern (repeatable); editor and system temp files are always left out")
	caFile := fs.String("ca-file", "", "PEM file of a certificate authority to trust instead of the system's (self-hosted servers)")
	passwordFile := fs.String("password-file", "", "read the password from this file (mode 0600) instead of the keyring or KUMO_PASSWORD")
	verbose := fs.Bool("v", false, "log every request")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: kumo backup --once [flags] FOLDER          with the account of `kumo login`\n       kumo backup --once --url URL --user ID FOLDER\n       kumo backup --demo FOLDER\n\nThe password comes from the keyring, --password-file or the KUMO_PASSWORD environment variable.\n\nFlags:")
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
	deviceSet := false
	fs.Visit(func(f *flag.Flag) { deviceSet = deviceSet || f.Name == "device" })

	var cfg transport.Config
	switch {
	case *demo:
		srv, acct, dir, err := startDemo(env)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kumo backup: cannot start the demo server: %v\n", err)
			return 1
		}
		defer srv.Close()
		cfg = transport.Config{URL: srv.URL + "backup/", User: acct.User, Password: acct.AppsPassword, RootCAs: srv.Pool()}
		defer fmt.Fprintf(env.Stdout, "The demo server keeps its files in %s\n", filepath.Join(dir, acct.User, "backup"))
	case !*once:
		fmt.Fprintln(env.Stderr, "kumo backup: add --once to back up once and exit; `kumo daemon` keeps backing up")
		return 2
	case *serverURL != "" || *user != "":
		if *serverURL == "" || *user == "" {
			fmt.Fprintln(env.Stderr, "kumo backup: give both --url and --user (the WebDAV Connection URL and Connection ID), or neither to use the account of `kumo login`")
			return 2
		}
		password := env.Getenv(account.PasswordEnv)
		if *passwordFile != "" {
			var err error
			if password, err = account.ReadPasswordFile(*passwordFile); err != nil {
				fmt.Fprintf(env.Stderr, "kumo backup: %v\n", err)
				return 1
			}
		}
		if password == "" {
			fmt.Fprintln(env.Stderr, "kumo backup: no password: set the KUMO_PASSWORD environment variable to your Apps Password, or use --password-file")
			return 2
		}
		roots, err := account.LoadCAFile(*caFile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kumo backup: %v\n", err)
			return 1
		}
		cfg = transport.Config{URL: *serverURL, User: *user, Password: password, RootCAs: roots}
	default:
		s, code := signedIn(env, "kumo backup", *passwordFile)
		if s == nil {
			return code
		}
		cfg = transport.Config{URL: s.acct.URL, User: s.acct.User, Password: s.secrets.Password, RootCAs: s.roots}
		if !deviceSet {
			*device = s.acct.Device
		}
	}
	logger := newLogger(env.Stderr, *verbose, cfg.User, cfg.Password)
	cfg.Connections, cfg.UserAgent, cfg.Logger, cfg.UploadLimit = *workers, "Kumo/"+env.Build.Version, logger, *limit<<10
	client, err := transport.New(cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo backup: %v\n", err)
		return 1
	}
	defer client.Close()

	sum, err := backup.RunOnce(ctx, client, backup.Options{Root: folder, Device: *device, Workers: *workers,
		Logger: logger, IndexPath: indexPath(cfg.URL, cfg.User), Filter: watcher.NewFilter(excludes...)})
	if sum != nil {
		printSummary(env.Stdout, client.URL(sum.Remote+"/"), sum)
		logger.Info("backup finished", "folder", folder, "remote", client.URL(sum.Remote+"/"),
			"files", sum.Files, "bytes", sum.Bytes, "failed", len(sum.Failed), "took", sum.Duration)
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

// indexPath is the local index of one account's area: a cache of what the
// server holds, so it lives in the cache folder.
func indexPath(serverURL, user string) string {
	sum := sha256.Sum256([]byte(user + "\x00" + serverURL))
	return filepath.Join(dataDir("index"), hex.EncodeToString(sum[:8])+".db")
}
