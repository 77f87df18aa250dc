package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/watcher"
)

func runBackup(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("kumo backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	once := fs.Bool("once", false, "back up once and exit")
	var conn connFlags
	conn.register(fs, "back up to a built-in InfiniCLOUD emulator on this computer (no account needed; implies --once)")
	workers := fs.Int("workers", 4, "parallel uploads")
	limit := fs.Int64("limit-upload", 0, "upload limit in KiB/s (0: none)")
	var excludes patterns
	fs.Var(&excludes, "exclude", "leave out paths matching this gitignore-style pattern (repeatable); editor and system temp files are always left out")
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
	if !*once && !conn.demo {
		fmt.Fprintln(env.Stderr, "kumo backup: add --once to back up once and exit; `kumo daemon` keeps backing up")
		return 2
	}
	c, code := conn.open(env, fs, "kumo backup", *workers, *limit<<10)
	if c == nil {
		return code
	}
	defer c.close()
	if c.demoDir != "" {
		defer fmt.Fprintf(env.Stdout, "The demo server keeps its files in %s\n", c.demoDir)
	}
	client, logger := c.client, c.logger
	sum, err := backup.RunOnce(ctx, client, backup.Options{Root: folder, Device: c.device, Workers: *workers,
		Logger: logger, IndexPath: c.index, Filter: watcher.NewFilter(excludes...)})
	if sum != nil {
		printSummary(env.Stdout, client.URL(sum.Remote+"/"), sum)
		logger.Info("backup finished", "folder", folder, "remote", client.URL(sum.Remote+"/"),
			"files", sum.Files, "bytes", sum.Bytes, "failed", len(sum.Failed), "took", sum.Duration)
	}
	if err != nil {
		return c.fail(err)
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

func indexPath(serverURL, user string) string { return paths.Index(serverURL, user) }
