package service

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/paths"
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

// account turns the login into an account; an InfiniCLOUD login without
// a URL is looked up with the REST API (info says what was found).
func (s *Service) account(ctx context.Context, l Login) (account.Account, account.Secrets, *account.UserInfo, error) {
	sec := account.Secrets{Password: l.Password, APIKey: l.APIKey}
	s.redactor.Add(l.User, sec.Password, sec.APIKey)
	a, info, err := account.Resolve(ctx, account.Form{Service: l.Service, URL: l.URL, Area: l.Area, User: l.User, Device: l.Device},
		sec, s.accountOptions())
	a.HasAPIKey = l.APIKey != ""
	return a, sec, info, err
}

// CanFindServer reports whether an InfiniCLOUD sign-in may leave the WebDAV
// Connection URL out: Kumo has an API key to ask the service with.
func CanFindServer() bool { return account.AppAPIKey != "" }

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
	a, sec, info, err := s.account(ctx, l)
	if err != nil {
		return "", err
	}
	st, err := account.Check(ctx, a, sec, s.accountOptions())
	if err != nil {
		return "", err
	}
	line := msg.T("The connection works.")
	if info != nil {
		line += msg.T(" InfiniCLOUD says your data is on %s.", info.Node)
	}
	line += msg.T(" Storage: %s.", storageLine(account.Storage{Quota: st.Quota, Source: st.QuotaSource, RESTProblem: st.RESTProblem}))
	return line, nil
}

// SignIn checks the login, keeps the password in the keyring and the rest
// in the settings, then starts backing up the chosen folders. takeOver
// continues the backups of a device name another install used.
func (s *Service) SignIn(ctx context.Context, l Login, takeOver bool) error {
	a, sec, _, err := s.account(ctx, l)
	if err != nil {
		return err
	}
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
// keyring, and resumes every folder where it stopped. The service can take
// several minutes to accept a reissued password, so a refusal is not
// final: Kumo keeps trying that password with growing pauses for
// PasswordPatience and goes on by itself once it is accepted.
func (s *Service) Reauthenticate(ctx context.Context, password string) error {
	s.mu.Lock()
	a, sec := s.cfg.Account, s.secrets
	s.mu.Unlock()
	if a == nil {
		return problem.New(problem.NotSignedIn, nil, nil)
	}
	sec.Password = password
	s.redactor.Add(a.User, password)
	s.stopTrying()
	if _, err := account.Check(ctx, *a, sec, s.accountOptions()); err != nil {
		if k := problem.KindOf(err); k != problem.WrongPassword && k != problem.WrongPasswordWebDAV {
			return err
		}
		until := time.Now().Add(s.opts.PasswordPatience)
		s.keepTrying(*a, sec, until)
		return problem.New(problem.PasswordNotAccepted, problem.Args{"until": until.Local().Format("15:04")}, err)
	}
	return s.accept(*a, sec)
}

// accept keeps a password the server took and resumes backing up.
func (s *Service) accept(a account.Account, sec account.Secrets) error {
	if err := s.keep(a, sec); err != nil {
		return err
	}
	s.stop()
	s.mu.Lock()
	s.secrets, s.askPassword, s.tryUntil = sec, false, time.Time{}
	s.mu.Unlock()
	s.log.Info("signed in again with a new password")
	return s.Start()
}

// keepTrying checks a refused password again after 1, 2, 4… times
// PasswordRetry (at most 2 minutes apart) until it is accepted or until.
func (s *Service) keepTrying(a account.Account, sec account.Secrets, until time.Time) {
	ctx, cancel := context.WithCancel(s.life)
	s.mu.Lock()
	s.tryUntil, s.stopTry = until, cancel
	s.changedLocked()
	s.mu.Unlock()
	go func() {
		defer cancel()
		for delay := s.opts.PasswordRetry; time.Now().Before(until); delay = min(2*delay, 2*time.Minute) {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			cctx, ccancel := context.WithTimeout(ctx, time.Minute)
			_, err := account.Check(cctx, a, sec, s.accountOptions())
			ccancel()
			switch k := problem.KindOf(err); {
			case ctx.Err() != nil:
				return
			case err == nil:
				if err := s.accept(a, sec); err != nil {
					s.log.Warn("the new password was accepted but backing up could not restart", "err", err)
				}
				return
			case k != problem.WrongPassword && k != problem.WrongPasswordWebDAV:
				continue // unreachable for now: try again later
			}
		}
		s.mu.Lock()
		s.tryUntil = time.Time{}
		s.changedLocked()
		s.mu.Unlock()
	}()
}

// stopTrying ends a password retry in progress (a new password replaces it).
func (s *Service) stopTrying() {
	s.mu.Lock()
	stop := s.stopTry
	s.stopTry, s.tryUntil = nil, time.Time{}
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
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
	if s.cfg.Account != nil {
		for _, f := range s.cfg.Folders { // with the account's other secrets
			s.forgetFolderPassphrase(*s.cfg.Account, f)
		}
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
		folders := slices.Clone(s.cfg.Folders)
		err = s.saveLocked()
		s.mu.Unlock()
		if perr := s.movePassphrases(a, a.Device, name, folders); err == nil {
			err = perr
		}
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
		return problem.New(problem.NotSignedIn, nil, nil)
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

// Doctor records what the account's server does (kumo doctor), saves the
// report where a person can attach it, and returns its text and path. It
// names no password, key, user or file.
func (s *Service) Doctor(ctx context.Context) (report, path string, err error) {
	sess, err := s.session()
	if err != nil {
		return "", "", err
	}
	r, err := account.Doctor(ctx, sess.Account, sess.Secrets, sess.AccountOptions())
	if err != nil {
		return "", "", sess.Explain(err)
	}
	path = filepath.Join(paths.Cache("doctor"), "kumo-doctor-"+format.Stamp(r.When)+".txt")
	if err := account.SaveReport(r, path); err != nil {
		return r.Text(), "", err
	}
	return r.Text(), path, nil
}
