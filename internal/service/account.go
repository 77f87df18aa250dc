package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

// ServiceKind is where an account lives: InfiniCLOUD or another WebDAV server.
type ServiceKind = account.Service

// The kinds of server, and InfiniCLOUD's areas, for the sign-in form.
const (
	InfiniCLOUD = account.InfiniCLOUD
	WebDAV      = account.WebDAV
	AreaBackup  = account.AreaBackup
	AreaDAV     = account.AreaDAV
)

// Login is what a person types to sign in.
type Login struct {
	Service                 ServiceKind
	URL, Area, User, Device string // the URL as pasted; Area for InfiniCLOUD only
	Password, APIKey        string
}

func (l Login) account() (account.Account, account.Secrets, error) {
	a, err := account.Form{Service: l.Service, URL: l.URL, Area: l.Area, User: l.User, Device: l.Device}.Account()
	a.HasAPIKey = l.APIKey != ""
	return a, account.Secrets{Password: l.Password, APIKey: l.APIKey}, err
}

// DefaultDevice is the name this computer gets on the server until renamed.
func DefaultDevice() string { return account.DefaultDevice() }

// IsDeviceTaken reports a sign-in refused because another computer's
// backups use this device name (often this computer, before a reinstall).
func IsDeviceTaken(err error) bool { return problem.KindOf(err) == problem.DeviceTaken }

func (s *Service) accountOptions() account.Options {
	return account.Options{RootCAs: s.opts.RootCAs, DialContext: s.opts.DialContext, Logger: s.log, MachineID: s.cfg.MachineID,
		UserAgent: "Kumo/" + s.opts.Version}
}

// Check tests a login without saving anything ("Test connection"), and
// says what it found in a sentence.
func (s *Service) Check(ctx context.Context, l Login) (string, error) {
	a, sec, err := l.account()
	if err != nil {
		return "", err
	}
	s.redactor.Add(a.User, sec.Password, sec.APIKey)
	st, err := account.Check(ctx, a, sec, s.accountOptions())
	if err != nil {
		return "", err
	}
	msg := "The connection works."
	if st.Quota.Known {
		msg += fmt.Sprintf(" Storage: %s used of %s.", human.Bytes(st.Quota.Used), human.Bytes(st.Quota.Used+st.Quota.Available))
	}
	return msg, nil
}

// SignIn checks the login, keeps the password in the keyring and the rest
// in the settings, then starts backing up the chosen folders. takeOver
// continues the backups of a device name another install used.
func (s *Service) SignIn(ctx context.Context, l Login, takeOver bool) error {
	a, sec, err := l.account()
	if err != nil {
		return err
	}
	s.redactor.Add(a.User, sec.Password, sec.APIKey)
	opts := s.accountOptions()
	opts.TakeOver = takeOver
	if _, err := account.Check(ctx, a, sec, opts); err != nil {
		return err
	}
	if err := s.keep(a, sec); err != nil {
		return err
	}
	s.stop()
	s.mu.Lock()
	s.cfg.Account, s.cfg.Demo, s.secrets, s.askPassword = &a, false, sec, false
	err = s.saveLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Start()
}

// keep stores the secrets in the keyring (unless the service keeps none).
func (s *Service) keep(a account.Account, sec account.Secrets) error {
	if s.opts.NoKeyring {
		return nil
	}
	if err := account.SaveSecrets(a, sec); err != nil {
		return problem.New(problem.KeyringUnavailable, problem.Args{"cause": err.Error()}, err)
	}
	return nil
}

// Reauthenticate takes the new password after the server refused the old
// one (an Apps Password reissued on My Page): it checks it, keeps it in the
// keyring, and resumes every folder where it stopped.
func (s *Service) Reauthenticate(ctx context.Context, password string) error {
	s.mu.Lock()
	a, sec := s.cfg.Account, s.secrets
	s.mu.Unlock()
	if a == nil {
		return problem.New(problem.NotSignedIn, nil, nil)
	}
	sec.Password = password
	s.redactor.Add(a.User, password)
	if _, err := account.Check(ctx, *a, sec, s.accountOptions()); err != nil {
		return err
	}
	if err := s.keep(*a, sec); err != nil {
		return err
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

// RenameDevice renames this computer on the server; its backups move with
// it. The engines stop first, so nothing is uploaded to the old name
// while the folder moves.
func (s *Service) RenameDevice(ctx context.Context, name string) error {
	sess, err := s.session()
	if err != nil || sess.IsDemo() {
		return problem.New(problem.NotSignedIn, nil, err)
	}
	s.mu.Lock()
	a, runner := *s.cfg.Account, s.runner
	s.mu.Unlock()
	if runner != nil {
		runner.StopAll()
	}
	err = account.RenameDevice(ctx, sess.Client, a, name, sess.AccountOptions())
	s.stop()
	if err == nil {
		s.mu.Lock()
		s.cfg.Account.Device = name
		err = s.saveLocked()
		s.mu.Unlock()
	}
	if serr := s.Start(); err == nil {
		err = serr
	}
	return err
}

// SetAPIKey keeps an InfiniCLOUD API key in the keyring, for exact usage figures.
func (s *Service) SetAPIKey(key string) error {
	if err := transport.ValidateAPIKey(key); err != nil {
		return err
	}
	s.redactor.Add("", key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Account == nil {
		return errors.New("sign in to an InfiniCLOUD account first")
	}
	sec := s.secrets
	sec.APIKey = key
	a := *s.cfg.Account
	a.HasAPIKey = true
	if !s.opts.NoKeyring {
		if err := account.SaveSecrets(a, sec); err != nil {
			return fmt.Errorf("cannot keep the API key in the system keyring: %w", err)
		}
	}
	s.secrets, s.cfg.Account = sec, &a
	return s.saveLocked()
}
