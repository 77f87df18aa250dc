// Package service runs Kumo for the desktop app: the account, one engine
// per chosen folder watching for changes, the settings, and one Status that
// says what is happening. It does all the I/O; the UI only renders Status
// and calls methods (from its own goroutines, never the UI one). It never
// imports the UI toolkit.
package service

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/transport"
	"github.com/kumo-backup/kumo/watcher"
)

// Options configure a Service; all may be left zero.
type Options struct {
	ConfigPath  string         // account.DefaultConfigPath() when empty
	RootCAs     *x509.CertPool // trust these instead of the system roots (tests, self-hosted)
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	Logger      *slog.Logger
	// OnChange receives every new Status, from the service's goroutines.
	OnChange func(Status)
	Version  string
	DemoDir  string // the demo server's storage; paths.Cache("demo") when empty
	// Keyring false keeps secrets in memory only (tests without a keyring).
	NoKeyring bool
}

// Service is the running backup of one account.
type Service struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	cfg      account.Config
	secrets  account.Secrets
	client   *transport.Client
	ix       *backup.Index
	demo     *emulator.Server
	folders  map[string]*folderRun
	paused   bool
	problems []Problem
	recent   []string // files sent lately, newest first
	last     time.Time
	quota    string
	ctx      context.Context
	cancel   context.CancelFunc

	latest atomic.Pointer[Status]
	wake   chan struct{}
	quit   chan struct{}
	closed sync.Once
}

// New loads the settings; it does no network I/O.
func New(opts Options) (*Service, error) {
	if opts.ConfigPath == "" {
		p, err := account.DefaultConfigPath()
		if err != nil {
			return nil, err
		}
		opts.ConfigPath = p
	}
	if opts.DemoDir == "" {
		opts.DemoDir = paths.Cache("demo")
	}
	cfg, err := account.LoadConfig(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{opts: opts, log: log, cfg: *cfg, folders: map[string]*folderRun{}, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
	go s.dispatch()
	return s, nil
}

// Config returns a copy of the settings.
func (s *Service) Config() account.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.Folders = slices.Clone(c.Folders)
	return c
}

// SignedIn reports whether an account (or the demo) is set up.
func (s *Service) SignedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Account != nil || s.cfg.Demo
}

func (s *Service) accountOptions() account.Options {
	return account.Options{RootCAs: s.opts.RootCAs, DialContext: s.opts.DialContext, Logger: s.log, MachineID: s.cfg.MachineID}
}

// Check tests an account without saving anything: "Test connection".
func (s *Service) Check(ctx context.Context, a account.Account, sec account.Secrets) (*account.Status, error) {
	return account.Check(ctx, a, sec, s.accountOptions())
}

// SignIn checks the account, keeps the password in the keyring and the
// rest in the settings, then starts backing up the chosen folders.
func (s *Service) SignIn(ctx context.Context, a account.Account, sec account.Secrets, takeOver bool) error {
	opts := s.accountOptions()
	opts.TakeOver = takeOver
	if _, err := account.Check(ctx, a, sec, opts); err != nil {
		return err
	}
	if !s.opts.NoKeyring {
		if err := account.SaveSecrets(a, sec); err != nil {
			return fmt.Errorf("the account works, but the password could not be kept in the system keyring (%v): "+
				"unlock or install a keyring (GNOME Keyring, KWallet) and sign in again", err)
		}
	}
	s.stop()
	s.mu.Lock()
	s.cfg.Account, s.cfg.Demo, s.secrets = &a, false, sec
	err := s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Start()
}

// StartDemo backs up to a built-in InfiniCLOUD emulator, with no account.
func (s *Service) StartDemo() error {
	s.stop()
	s.mu.Lock()
	s.cfg.Account, s.cfg.Demo = nil, true
	err := s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Start()
}

// Start connects with the saved account (the password from the keyring)
// and starts watching every chosen folder.
func (s *Service) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return nil
	}
	var cfg transport.Config
	var indexKey [2]string
	switch {
	case s.cfg.Demo:
		cert, err := emulator.LoadOrCreateCert(s.opts.DemoDir)
		if err != nil {
			return fmt.Errorf("cannot start the demo server: %w", err)
		}
		acct := emulator.DemoAccount()
		srv, err := emulator.Start(emulator.Config{DataDir: s.opts.DemoDir, Accounts: []emulator.Account{acct}, Cert: cert})
		if err != nil {
			return fmt.Errorf("cannot start the demo server: %w", err)
		}
		s.demo = srv
		cfg = transport.Config{URL: srv.URL + "backup/", User: acct.User, Password: acct.AppsPassword, RootCAs: srv.Pool()}
		indexKey = [2]string{"demo", acct.User}
	case s.cfg.Account != nil:
		a := *s.cfg.Account
		if s.secrets.Password == "" {
			sec, err := account.LoadSecrets(a, account.SecretSource{})
			if err != nil {
				return err
			}
			s.secrets = sec
		}
		roots := s.opts.RootCAs
		if roots == nil && a.CAFile != "" {
			var err error
			if roots, err = account.LoadCAFile(a.CAFile); err != nil {
				return err
			}
		}
		cfg = transport.Config{URL: a.URL, User: a.User, Password: s.secrets.Password, RootCAs: roots}
		indexKey = [2]string{a.URL, a.User}
	default:
		return errors.New("not signed in")
	}
	set := s.cfg.Settings.WithDefaults()
	cfg.Connections, cfg.UploadLimit, cfg.DialContext = set.Workers, int64(set.UploadLimitKiB)<<10, s.opts.DialContext
	cfg.UserAgent, cfg.Logger = "Kumo/"+s.opts.Version, s.log
	client, err := transport.New(cfg)
	if err != nil {
		s.closeDemoLocked()
		return err
	}
	ix, err := backup.OpenIndex(paths.Index(indexKey[0], indexKey[1]))
	if err != nil {
		client.Close()
		s.closeDemoLocked()
		return err
	}
	s.client, s.ix = client, ix
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, f := range s.cfg.Folders {
		s.startFolderLocked(f)
	}
	go s.refreshQuota()
	s.changedLocked()
	return nil
}

// stop ends every engine and the connection; the settings stay.
func (s *Service) stop() {
	s.mu.Lock()
	s.cancel()
	runs := make([]*folderRun, 0, len(s.folders))
	for _, r := range s.folders {
		runs = append(runs, r)
	}
	s.folders = map[string]*folderRun{}
	s.mu.Unlock()
	for _, r := range runs {
		r.stop()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		s.client.Close()
		s.client = nil
	}
	if s.ix != nil {
		s.ix.Close()
		s.ix = nil
	}
	s.closeDemoLocked()
}

func (s *Service) closeDemoLocked() {
	if s.demo != nil {
		s.demo.Close()
		s.demo = nil
	}
}

// SignOut stops the engines cleanly, removes the password from the
// keyring and forgets the account; the chosen folders stay chosen.
func (s *Service) SignOut() error {
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.cfg.Account != nil && !s.opts.NoKeyring {
		err = account.DeleteSecrets(*s.cfg.Account)
	}
	s.cfg.Account, s.cfg.Demo, s.secrets, s.problems = nil, false, account.Secrets{}, nil
	if serr := s.saveLocked(); err == nil {
		err = serr
	}
	s.changedLocked()
	return err
}

// Close stops everything; the settings are already saved.
func (s *Service) Close() {
	s.stop()
	s.closed.Do(func() { close(s.quit) })
}

// Client is the connection to the account, for the restore wizard; nil
// when not signed in.
func (s *Service) Client() *transport.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// Device is this computer's name on the server.
func (s *Service) Device() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deviceLocked()
}

func (s *Service) deviceLocked() string {
	if s.cfg.Account != nil {
		return s.cfg.Account.Device
	}
	return "this-computer"
}

// DemoDir is where the demo server keeps what it was sent.
func (s *Service) DemoDir() string {
	return filepath.Join(s.opts.DemoDir, emulator.DemoAccount().User, "backup")
}

func (s *Service) saveLocked() error { return s.cfg.Save(s.opts.ConfigPath) }

// SetTrayHintShown remembers that the user was told about the tray.
func (s *Service) SetTrayHintShown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.TrayHintShown = true
	_ = s.saveLocked()
}

// Filter builds a folder's exclude filter.
func Filter(excludes []string) *watcher.Filter { return watcher.NewFilter(excludes...) }
