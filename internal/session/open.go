// Package session turns a saved account into a running backup. Open is
// the one place a connection is made from the settings (the client, the
// local index, the demo server when the account is the demo), and a
// Runner is the one place folders become watching engines with the user's
// settings. The desktop service, every command and `kumo daemon` use both,
// so they connect, back up and prune the same way.
package session

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

// Options say how to open a session; all may be left zero.
type Options struct {
	RootCAs     *x509.CertPool // trust these instead of the system roots (tests)
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	Logger      *slog.Logger
	// Redactor learns the secrets the session uses, for a log opened before
	// they were known.
	Redactor  *transport.Redactor
	UserAgent string
	DemoDir   string // the demo server's storage; paths.Cache("demo") when empty
	// Secrets are used as they are when they hold a password; otherwise
	// they come from SecretSource, then the keyring.
	Secrets      account.Secrets
	SecretSource account.SecretSource
	Device       string // overrides the account's device name (the demo, one-off runs)
	Tuning       Tuning
	Now          func() time.Time // the engines' clock; tests inject one
	// Passphrase gives an encrypted folder's passphrase (by remote folder,
	// device/name) that the session has not unlocked yet: the keyring's
	// when nil.
	Passphrase func(remoteFolder string) (string, error)
}

// Session is an open connection to one account's area.
type Session struct {
	Account account.Account // the demo server's account when it is the demo
	Secrets account.Secrets
	Client  *transport.Client
	// Demo is the built-in server when the account is the demo; DemoFiles
	// is where it keeps what it was sent.
	Demo      *emulator.Server
	DemoFiles string
	MachineID string

	opts     Options
	indexKey [2]string
	ixMu     sync.Mutex
	ix       *backup.Index
	shared   lastBackupShare
	keyMu    sync.Mutex
	keys     map[string]*crypt.Key // encrypted folders' keys, by remote folder
}

// Open connects as cfg says: the built-in demo server, or the saved account
// with its password. It does no network I/O beyond starting the demo.
func Open(cfg account.Config, opts Options) (*Session, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Session{opts: opts, MachineID: cfg.MachineID}
	roots := opts.RootCAs
	switch {
	case cfg.Demo:
		if err := s.startDemo(); err != nil {
			return nil, problem.New(problem.CannotStartDemo, problem.Args{"cause": err.Error()}, err)
		}
		roots = s.Demo.Pool()
	case cfg.Account != nil:
		s.Account, s.Secrets = *cfg.Account, opts.Secrets
		if s.Secrets.Password == "" {
			sec, err := account.LoadSecrets(s.Account, opts.SecretSource)
			if err != nil {
				return nil, err
			}
			s.Secrets = sec
		}
		s.indexKey = [2]string{s.Account.URL, s.Account.User}
	default:
		return nil, problem.New(problem.NotSignedIn, nil, nil)
	}
	if opts.Device != "" {
		s.Account.Device = opts.Device
	}
	if opts.Redactor != nil {
		opts.Redactor.Add(s.Account.User, s.Secrets.Password, s.Secrets.APIKey)
	}
	client, err := account.Connect(s.Account, s.Secrets, account.Options{RootCAs: roots, DialContext: opts.DialContext,
		Logger: opts.Logger, Connections: opts.Tuning.Workers, UploadLimit: opts.Tuning.UploadLimit, UserAgent: opts.UserAgent})
	if err != nil {
		s.closeDemo()
		return nil, err
	}
	s.Client = client
	return s, nil
}

// startDemo runs the emulator in-process with the demo account, keeping its
// files (and certificate) in the user's cache folder between runs.
func (s *Session) startDemo() error {
	dir := s.opts.DemoDir
	if dir == "" {
		dir = paths.Cache("demo")
	}
	cert, err := emulator.LoadOrCreateCert(dir)
	if err != nil {
		return err
	}
	acct := emulator.DemoAccount()
	key, secret := emulator.DemoAPIKey()
	srv, err := emulator.Start(emulator.Config{DataDir: dir, Accounts: []emulator.Account{acct}, Cert: cert,
		APIKeys: map[string]string{key: secret}})
	if err != nil {
		return err
	}
	s.Demo, s.DemoFiles = srv, filepath.Join(dir, acct.User, "backup")
	s.Account = account.Account{Service: account.InfiniCLOUD, URL: srv.URL + "backup/", User: acct.User, Device: account.DefaultDevice(), HasAPIKey: true}
	s.Secrets = account.Secrets{Password: acct.AppsPassword, APIKey: key}
	// The demo's port changes with every start; its index must not.
	s.indexKey = [2]string{"demo", acct.User}
	return nil
}

// Index opens (once) the local index of the account's area. Commands that
// only read the server never open it, so they run beside a backing-up app.
func (s *Session) Index() (*backup.Index, error) {
	s.ixMu.Lock()
	defer s.ixMu.Unlock()
	if s.ix == nil {
		ix, err := backup.OpenIndex(paths.Index(s.indexKey[0], s.indexKey[1]))
		if err != nil {
			return nil, err
		}
		s.ix = ix
	}
	return s.ix, nil
}

// Where words a failure of this session's account for the problem table.
func (s *Session) Where() problem.Where {
	w := s.Account.Where(false)
	w.Redact = s.Client.Redact
	return w
}

// Explain is the problem of err, worded for this account; nil stays nil.
func (s *Session) Explain(err error) error {
	if err == nil {
		return nil
	}
	return problem.Explain(err, s.Where())
}

// Check proves the account works, as signing in does.
func (s *Session) Check(ctx context.Context) (*account.Status, error) {
	return account.Check(ctx, s.Account, s.Secrets, s.AccountOptions())
}

// AccountOptions are the connection settings for account's own calls.
func (s *Session) AccountOptions() account.Options {
	o := account.Options{RootCAs: s.opts.RootCAs, DialContext: s.opts.DialContext, Logger: s.opts.Logger, MachineID: s.MachineID,
		UserAgent: s.opts.UserAgent}
	if s.Demo != nil {
		o.RootCAs, o.APIServers = s.Demo.Pool(), []string{s.Demo.APIURL}
	}
	return o
}

// Logger is the session's log, secrets redacted.
func (s *Session) Logger() *slog.Logger { return s.opts.Logger }

// Storage reads how full the account is: the REST API with a key, else
// RFC 4331, else unknown.
func (s *Session) Storage() *account.StorageReader {
	return &account.StorageReader{Account: s.Account, Secrets: s.Secrets, Options: s.AccountOptions(), Client: s.Client}
}

// IsDemo reports whether this is the built-in demo server.
func (s *Session) IsDemo() bool { return s.Demo != nil }

// Close ends the connection, the index and the demo server.
func (s *Session) Close() error {
	s.Client.Close()
	var err error
	s.ixMu.Lock()
	if s.ix != nil {
		err = s.ix.Close()
		s.ix = nil
	}
	s.ixMu.Unlock()
	s.closeDemo()
	return err
}

func (s *Session) closeDemo() {
	if s.Demo != nil {
		s.Demo.Close()
	}
}
