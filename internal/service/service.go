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
	opts     Options
	log      *slog.Logger
	redactor *transport.Redactor // learns each password and key the service uses

	mu      sync.Mutex
	cfg     account.Config
	secrets account.Secrets
	client  *transport.Client
	ix      *backup.Index
	demo    *emulator.Server
	folders map[string]*folderRun
	paused  bool
	// askPassword: the server refused the password mid-backup; the engines
	// hold (one refused request each) until Reauthenticate.
	askPassword bool
	problems    []Problem
	recent      []string // files sent lately, newest first
	last        time.Time
	quota       string
	ctx         context.Context
	cancel      context.CancelFunc

	// Snapshots for readers on the UI goroutine, which must never wait for mu.
	cfgSnap    atomic.Pointer[account.Config]
	clientSnap atomic.Pointer[transport.Client]
	startMu    sync.Mutex // one Start or stop at a time; held during their I/O, never by readers

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
	redactor := transport.NewRedactor("")
	log := slog.New(slog.DiscardHandler)
	if opts.Logger != nil {
		// Every line the service and its engines log passes the account's secrets' filter.
		log = slog.New(redactor.Handler(opts.Logger.Handler()))
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{opts: opts, log: log, redactor: redactor, cfg: *cfg, folders: map[string]*folderRun{}, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), quit: make(chan struct{})}
	s.publishLocked()
	go s.dispatch()
	return s, nil
}

// Config returns a copy of the settings.
// It never waits for the service's lock, so the UI goroutine may call it.
func (s *Service) Config() account.Config {
	c := *s.cfgSnap.Load()
	c.Folders = slices.Clone(c.Folders)
	return c
}

// SignedIn reports whether an account (or the demo) is set up.
func (s *Service) SignedIn() bool {
	c := s.cfgSnap.Load()
	return c.Account != nil || c.Demo
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
	s.redactor.Add(a.User, sec.Password, sec.APIKey)
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
	s.cfg.Account, s.cfg.Demo, s.secrets, s.askPassword = &a, false, sec, false
	err := s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Start()
}

// Reauthenticate takes the new password after the server refused the old
// one (an Apps Password reissued on My Page): it checks it, keeps it in the
// keyring, and resumes every folder where it stopped.
func (s *Service) Reauthenticate(ctx context.Context, password string) error {
	s.mu.Lock()
	a, sec := s.cfg.Account, s.secrets
	s.mu.Unlock()
	if a == nil {
		return errors.New("not signed in")
	}
	sec.Password = password
	s.redactor.Add(a.User, password)
	if _, err := account.Check(ctx, *a, sec, s.accountOptions()); err != nil {
		return err
	}
	if !s.opts.NoKeyring {
		if err := account.SaveSecrets(*a, sec); err != nil {
			return fmt.Errorf("the password works, but could not be kept in the system keyring (%v): unlock the keyring and try again", err)
		}
	}
	s.stop()
	s.mu.Lock()
	s.secrets, s.askPassword = sec, false
	s.mu.Unlock()
	s.log.Info("signed in again with a new password")
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
// and starts watching every chosen folder. The slow parts (keyring, demo
// server, index) run without holding the lock readers use.
func (s *Service) Start() error {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	s.mu.Lock()
	running, cfg, secrets := s.client != nil, s.cfg, s.secrets
	s.mu.Unlock()
	if running {
		return nil
	}
	conn, demo, indexKey, err := s.connect(cfg, &secrets)
	if err != nil {
		return err
	}
	ix, err := backup.OpenIndex(paths.Index(indexKey[0], indexKey[1]))
	if err != nil {
		conn.Close()
		if demo != nil {
			demo.Close()
		}
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client, s.ix, s.demo, s.secrets = conn, ix, demo, secrets
	s.clientSnap.Store(conn)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, f := range s.cfg.Folders {
		s.startFolderLocked(f)
	}
	go s.refreshQuota()
	s.changedLocked()
	return nil
}

// connect opens the transport for cfg: the demo server, or the account
// with its password (from the keyring unless already known).
func (s *Service) connect(cfg account.Config, secrets *account.Secrets) (*transport.Client, *emulator.Server, [2]string, error) {
	var tc transport.Config
	var key [2]string
	var demo *emulator.Server
	switch {
	case cfg.Demo:
		cert, err := emulator.LoadOrCreateCert(s.opts.DemoDir)
		if err != nil {
			return nil, nil, key, fmt.Errorf("cannot start the demo server: %w", err)
		}
		acct := emulator.DemoAccount()
		demo, err = emulator.Start(emulator.Config{DataDir: s.opts.DemoDir, Accounts: []emulator.Account{acct}, Cert: cert})
		if err != nil {
			return nil, nil, key, fmt.Errorf("cannot start the demo server: %w", err)
		}
		tc = transport.Config{URL: demo.URL + "backup/", User: acct.User, Password: acct.AppsPassword, RootCAs: demo.Pool()}
		key = [2]string{"demo", acct.User}
	case cfg.Account != nil:
		a := *cfg.Account
		if secrets.Password == "" {
			sec, err := account.LoadSecrets(a, account.SecretSource{})
			if err != nil {
				return nil, nil, key, err
			}
			*secrets = sec
		}
		roots := s.opts.RootCAs
		if roots == nil && a.CAFile != "" {
			var err error
			if roots, err = account.LoadCAFile(a.CAFile); err != nil {
				return nil, nil, key, err
			}
		}
		tc = transport.Config{URL: a.URL, User: a.User, Password: secrets.Password, RootCAs: roots}
		s.redactor.Add(a.User, secrets.Password, secrets.APIKey)
		key = [2]string{a.URL, a.User}
	default:
		return nil, nil, key, errors.New("not signed in")
	}
	set := cfg.Settings.WithDefaults()
	tc.Connections, tc.UploadLimit, tc.DialContext = set.Workers, int64(set.UploadLimitKiB)<<10, s.opts.DialContext
	tc.UserAgent, tc.Logger = "Kumo/"+s.opts.Version, s.log
	client, err := transport.New(tc)
	if err != nil {
		if demo != nil {
			demo.Close()
		}
		return nil, nil, key, err
	}
	return client, demo, key, nil
}

// stop ends every engine and the connection; the settings stay.
func (s *Service) stop() {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	s.clientSnap.Store(nil)
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
	s.cfg.Account, s.cfg.Demo, s.secrets, s.problems, s.askPassword = nil, false, account.Secrets{}, nil, false
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
func (s *Service) Client() *transport.Client { return s.clientSnap.Load() }

// Device is this computer's name on the server.
func (s *Service) Device() string { return deviceOf(s.cfgSnap.Load()) }

func (s *Service) deviceLocked() string { return deviceOf(&s.cfg) }

func deviceOf(c *account.Config) string {
	if c.Account != nil {
		return c.Account.Device
	}
	return account.DefaultDevice()
}

// DemoDir is where the demo server keeps what it was sent.
func (s *Service) DemoDir() string {
	return filepath.Join(s.opts.DemoDir, emulator.DemoAccount().User, "backup")
}

// saveLocked writes the settings and publishes them to Config's readers.
func (s *Service) saveLocked() error {
	s.publishLocked()
	return s.cfg.Save(s.opts.ConfigPath)
}

func (s *Service) publishLocked() {
	c := s.cfg
	c.Folders = slices.Clone(c.Folders)
	s.cfgSnap.Store(&c)
}

// SetTrayHintShown remembers that the user was told about the tray.
func (s *Service) SetTrayHintShown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.TrayHintShown = true
	_ = s.saveLocked()
}

// Filter builds a folder's exclude filter.
func Filter(excludes []string) *watcher.Filter { return watcher.NewFilter(excludes...) }
