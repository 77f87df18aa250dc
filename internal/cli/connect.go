package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/transport"
)

// connFlags are the flags that say which server and account a command uses:
// the signed-in account by default, --url and --user for a one-off, or the
// built-in demo server.
type connFlags struct {
	demo                 bool
	url, user            string
	caFile, passwordFile string
	device               string
	verbose              bool
	deviceSet            bool
}

func (c *connFlags) register(fs *flag.FlagSet, demoHelp string) {
	fs.BoolVar(&c.demo, "demo", false, demoHelp)
	fs.StringVar(&c.url, "url", "", "WebDAV Connection URL of the backup area, e.g. https://NODE.teracloud.jp/backup/")
	fs.StringVar(&c.user, "user", "", "Connection ID (your user ID)")
	fs.StringVar(&c.device, "device", defaultDevice(), "name of the computer on the server")
	fs.StringVar(&c.caFile, "ca-file", "", "PEM file of a certificate authority to trust instead of the system's (self-hosted servers)")
	fs.StringVar(&c.passwordFile, "password-file", "", "read the password from this file (mode 0600) instead of the keyring or KUMO_PASSWORD")
	fs.BoolVar(&c.verbose, "v", false, "log every request")
}

// connection is an open client and what goes with it.
type connection struct {
	client  *transport.Client
	device  string
	logger  *slog.Logger
	demoDir string // the demo server's files, when it is the demo
	index   string // the local index of this account's area
	close   func()
	stderr  io.Writer
	cmd     string // "kumo restore", for messages
}

// fail says what went wrong, without the account's secrets, and returns
// the exit code for it.
func (c *connection) fail(err error) int {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.cmd, c.client.Redact(err.Error()))
	return 1
}

// open connects as the flags say; after fs.Parse. code is the exit code
// when it returns nil.
func (c *connFlags) open(env Env, fs *flag.FlagSet, cmd string, conns int, uploadLimit int64) (*connection, int) {
	fs.Visit(func(f *flag.Flag) { c.deviceSet = c.deviceSet || f.Name == "device" })
	conn := &connection{device: c.device, close: func() {}, stderr: env.Stderr, cmd: cmd}
	var cfg transport.Config
	switch {
	case c.demo:
		srv, acct, dir, err := startDemo(env)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: cannot start the demo server: %v\n", cmd, err)
			return nil, 1
		}
		conn.close = func() { srv.Close() }
		conn.demoDir = filepath.Join(dir, acct.User, "backup")
		cfg = transport.Config{URL: srv.URL + "backup/", User: acct.User, Password: acct.AppsPassword, RootCAs: srv.Pool()}
	case c.url != "" || c.user != "":
		if c.url == "" || c.user == "" {
			fmt.Fprintf(env.Stderr, "%s: give both --url and --user (the WebDAV Connection URL and Connection ID), or neither to use the account of `kumo login`\n", cmd)
			return nil, 2
		}
		password := env.Getenv(account.PasswordEnv)
		if c.passwordFile != "" {
			var err error
			if password, err = account.ReadPasswordFile(c.passwordFile); err != nil {
				fmt.Fprintf(env.Stderr, "%s: %v\n", cmd, err)
				return nil, 1
			}
		}
		if password == "" {
			fmt.Fprintf(env.Stderr, "%s: no password: set the KUMO_PASSWORD environment variable to your Apps Password, or use --password-file\n", cmd)
			return nil, 2
		}
		roots, err := account.LoadCAFile(c.caFile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", cmd, err)
			return nil, 1
		}
		cfg = transport.Config{URL: c.url, User: c.user, Password: password, RootCAs: roots}
	default:
		s, code := signedIn(env, cmd, c.passwordFile)
		if s == nil {
			return nil, code
		}
		cfg = transport.Config{URL: s.acct.URL, User: s.acct.User, Password: s.secrets.Password, RootCAs: s.roots}
		if !c.deviceSet {
			conn.device = s.acct.Device
		}
	}
	conn.logger = newLogger(env.Stderr, c.verbose, cfg.User, cfg.Password)
	cfg.Connections, cfg.UserAgent, cfg.Logger, cfg.UploadLimit = conns, "Kumo/"+env.Build.Version, conn.logger, uploadLimit
	client, err := transport.New(cfg)
	if err != nil {
		conn.close()
		fmt.Fprintf(env.Stderr, "%s: %v\n", cmd, err)
		return nil, 1
	}
	conn.client = client
	conn.index = indexPath(cfg.URL, cfg.User)
	stop := conn.close
	conn.close = func() { client.Close(); stop() }
	return conn, 0
}
