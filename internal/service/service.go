// Package service runs Kumo for the desktop app: the account, one engine
// per chosen folder watching for changes, the settings, restoring, and one
// Status that says what is happening. It does all the I/O; the UI only
// renders Status and calls methods (from its own goroutines, never the UI
// one), with the service's types. It never imports the UI toolkit.
package service

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/autostart"
	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/internal/session"
	"github.com/kumo-backup/kumo/transport"
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
	// NoKeyring keeps secrets in memory only (tests without a keyring).
	NoKeyring bool
	// Autostart is the login entry Settings' "start at login" writes.
	Autostart autostart.Entry
	Now       func() time.Time // the engines' clock; tests inject one
	// DestinationRules, when set, are what every restore destination is
	// taken to accept instead of trying each (tests simulate Windows').
	DestinationRules *restore.Rules
	// PasswordPatience is how long a new password the server refuses is
	// tried again (10 minutes: a reissue "may take several minutes"),
	// first after PasswordRetry (15 s), then at growing pauses.
	PasswordPatience, PasswordRetry time.Duration
	// VerifyCheck is how often a step of verification may run (1 min);
	// VerifyRate caps its reading in bytes per second (2 MiB/s).
	VerifyCheck time.Duration
	VerifyRate  float64
	// PauseCheck is how often a timed pause and the folders' lateness are
	// compared with the wall clock (15 s): a timer alone would not count a
	// laptop's sleep.
	PauseCheck time.Duration
	// Conditions tells of metered connections and the battery
	// (conditions.System() in the app); nil holds for neither.
	Conditions conditions.Source
}

// Service is the running backup of one account.
type Service struct {
	opts     Options
	log      *slog.Logger
	redactor *transport.Redactor // learns each password and key the service uses

	mu      sync.Mutex
	cfg     account.Config
	secrets account.Secrets
	sess    *session.Session
	runner  *session.Runner
	folders map[string]*folderState
	// askPassword: the server refused the password mid-backup; the engines
	// hold (one refused request each) until Reauthenticate.
	askPassword bool
	problems    []Problem
	// tryUntil: a new password the server refused is tried again until
	// then (stopTry ends that).
	tryUntil  time.Time
	stopTry   context.CancelFunc
	cond      conditions.State // the network and power, as last told
	condKnown chan struct{}    // closed once they were first told
	recent    []string         // files sent lately, newest first
	last      time.Time
	quota     string
	// savedBackedUp is when the folders' "last backed up" was last saved.
	savedBackedUp time.Time
	began         time.Time // when the service started, by its clock
	// computers are the account's other computers, read at computersAt.
	computers        []Computer
	computersAt      time.Time
	readingComputers bool
	// verified is what verification last said of each folder; verifying: a step is under way.
	verified   map[string]*verifyState
	verifying  bool
	stopVerify context.CancelFunc
	// unlocked are encrypted folders' backups opened for restoring, by
	// device/name, for the session unlockedBy.
	unlocked   map[string]restore.Remote
	unlockedBy *session.Session
	// passphrases keeps encrypted folders' passphrases with NoKeyring only.
	passphrases sync.Map

	// life ends when the service closes; every context the service hands
	// out derives from it.
	life     context.Context
	shutdown context.CancelFunc

	// Snapshots for readers on the UI goroutine, which must never wait for mu.
	cfgSnap  atomic.Pointer[account.Config]
	sessSnap atomic.Pointer[session.Session]
	startMu  sync.Mutex // one Start or stop at a time; held during their I/O, never by readers

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
	if opts.PasswordPatience <= 0 {
		opts.PasswordPatience = 10 * time.Minute
	}
	if opts.PasswordRetry <= 0 {
		opts.PasswordRetry = 15 * time.Second
	}
	if opts.PauseCheck <= 0 {
		opts.PauseCheck = 15 * time.Second
	}
	if opts.VerifyCheck <= 0 {
		opts.VerifyCheck = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
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
	life, shutdown := context.WithCancel(context.Background())
	s := &Service{opts: opts, log: log, redactor: redactor, cfg: *cfg, folders: map[string]*folderState{}, verified: map[string]*verifyState{}, cond: conditions.Unknown, condKnown: make(chan struct{}),
		life: life, shutdown: shutdown, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	s.began = opts.Now()
	s.endPauseIfDueLocked()
	s.publishLocked()
	go s.dispatch()
	go s.watchClock()
	go s.watchVerify()
	if opts.Conditions != nil {
		go s.watchConditions(opts.Conditions)
	}
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

// Context ends when the service closes: for work the UI starts, such as a
// restore wizard, which cancels its own child when its window closes.
func (s *Service) Context() context.Context { return s.life }

// Start connects with the saved account (the password from the keyring)
// and starts watching every chosen folder. The slow parts (keyring, demo
// server, index) run without holding the lock readers use.
func (s *Service) Start() error {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	s.mu.Lock()
	running, cfg, secrets := s.sess != nil, s.cfg, s.secrets
	s.mu.Unlock()
	if running {
		return nil
	}
	sess, err := session.Open(cfg, session.Options{RootCAs: s.opts.RootCAs, DialContext: s.opts.DialContext, Logger: s.log,
		Redactor: s.redactor, UserAgent: "Kumo/" + s.opts.Version, DemoDir: s.opts.DemoDir, Secrets: secrets,
		Tuning: session.TuningOf(cfg.Settings), Now: s.opts.Now, Passphrase: s.passphraseSource()})
	if err != nil {
		return err
	}
	if _, err := sess.Index(); err != nil {
		sess.Close()
		return err
	}
	s.awaitConditions()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sess, s.secrets = sess, sess.Secrets
	s.sessSnap.Store(sess)
	s.runner = sess.Runner(s.hooks)
	s.runner.SetConditions(s.cond)
	if s.cfg.Paused != nil {
		s.runner.Pause()
	}
	for _, f := range s.cfg.Folders {
		s.startFolderLocked(f)
	}
	go s.refreshQuota()
	s.computersAt = time.Time{}
	s.refreshComputersLocked(s.opts.Now())
	s.changedLocked()
	return nil
}

// stop ends every engine and the connection; the settings stay.
func (s *Service) stop() {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	s.sessSnap.Store(nil)
	s.mu.Lock()
	runner, sess := s.runner, s.sess
	s.runner, s.sess = nil, nil // the connection closes: nothing more is sent on it
	s.refreshBackedUpLocked(s.opts.Now())
	if s.cfg.BackedUp != nil {
		_ = s.saveLocked() // as of now, not of the last hourly save
	}
	s.folders, s.verified = map[string]*folderState{}, map[string]*verifyState{}
	s.mu.Unlock()
	if runner != nil {
		runner.StopAll()
	}
	if sess != nil {
		sess.Close()
	}
}

// Close stops everything; the settings are already saved.
func (s *Service) Close() {
	s.stop()
	s.shutdown()
	s.closed.Do(func() { close(s.quit) })
}

// Connected reports whether the account is connected (Start succeeded).
// It never waits for the service's lock.
func (s *Service) Connected() bool { return s.sessSnap.Load() != nil }

// session is the open connection, or a NotSignedIn problem.
func (s *Service) session() (*session.Session, error) {
	if sess := s.sessSnap.Load(); sess != nil {
		return sess, nil
	}
	return nil, problem.New(problem.NotSignedIn, nil, nil)
}

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

// Sentence is what a person is shown for an error the service returned.
func Sentence(err error) string {
	if p, ok := problem.As(err); ok {
		return p.Sentence()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// explain words an engine's or the account's error for the screen.
func (s *Service) explain(err error) string {
	w := problem.Where{}
	if sess := s.sessSnap.Load(); sess != nil {
		w = sess.Where()
	}
	return problem.Sentence(err, w)
}
