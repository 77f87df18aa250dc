package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/transport"
)

// changed publishes a new Status.
func (s *Service) changed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changedLocked()
}

// changedLocked computes the Status and hands it to the dispatcher, which
// calls OnChange outside the lock, newest value only.
func (s *Service) changedLocked() {
	st := s.statusLocked()
	s.latest.Store(&st)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) dispatch() {
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			return
		}
		if st := s.latest.Load(); st != nil && s.opts.OnChange != nil {
			s.opts.OnChange(*st)
		}
	}
}

// Status is what is happening now.
func (s *Service) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

func (s *Service) statusLocked() Status {
	st := Status{Folders: s.folderPathsLocked(), LastBackup: s.last, Quota: s.quota, Device: s.deviceLocked()}
	switch {
	case s.cfg.Demo:
		st.Account = "the demo server on this computer"
	case s.cfg.Account != nil:
		st.Account = s.cfg.Account.User + " on " + s.cfg.Account.Host()
	}
	st.Problems = append(st.Problems, s.problems...)
	var files, total, bytesLeft int64
	var eta time.Duration
	busy := false
	for _, path := range st.Folders {
		r := s.folders[path]
		if r == nil {
			continue
		}
		p, b, problem, failed := r.snapshot()
		if b {
			busy = true
			files += p.FilesDone
			total += p.FilesTotal
			bytesLeft += max(0, p.BytesTotal-p.BytesDone)
			st.Speed += p.Speed
			eta = max(eta, p.ETA)
		}
		if problem != nil {
			st.Problems = append(st.Problems, *problem)
		}
		for _, f := range failed {
			st.Problems = append(st.Problems, Problem{Folder: path, Path: f.Path, Message: s.redact(f.Err.Error())})
		}
	}
	st.Recent = slices.Clone(s.recent)
	switch {
	case s.cfg.Account == nil && !s.cfg.Demo:
		st.State = SignedOut
	case s.paused:
		st.State = Paused
	case busy:
		st.State = Busy
	case len(st.Problems) > 0:
		st.State = Failing
	default:
		st.State = Idle
	}
	if total > 0 {
		st.Fraction = float64(files) / float64(total)
	}
	st.AskPassword = s.askPassword
	if st.AskPassword && st.State != SignedOut {
		st.State = Failing
	}
	st.Line = line(st.State, files, total, bytesLeft, eta, s.last, len(st.Problems), st.AskPassword)
	return st
}

func (s *Service) redact(msg string) string {
	if s.client != nil {
		return s.client.Redact(msg)
	}
	return msg
}

// refreshQuota reads the account's usage (cached five minutes by the server side of account).
func (s *Service) refreshQuota() {
	s.mu.Lock()
	client, ctx := s.client, s.ctx
	s.mu.Unlock()
	if client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	q, err := client.Quota(ctx)
	if err != nil || !q.Known {
		return
	}
	s.mu.Lock()
	s.quota = fmt.Sprintf("%s of %s used", human.Bytes(q.Used), human.Bytes(q.Used+q.Available))
	s.changedLocked()
	s.mu.Unlock()
}

// UpdateSettings saves new settings and restarts the engines with them.
func (s *Service) UpdateSettings(set account.Settings) error {
	s.mu.Lock()
	s.cfg.Settings = set
	err := s.saveLocked()
	running := s.client != nil
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if running {
		s.stop()
		return s.Start()
	}
	return nil
}

// RenameDevice renames this computer on the server; its backups move with it.
func (s *Service) RenameDevice(ctx context.Context, name string) error {
	s.mu.Lock()
	if s.cfg.Account == nil || s.client == nil {
		s.mu.Unlock()
		return fmt.Errorf("sign in to an account first")
	}
	a := *s.cfg.Account
	client := s.client
	opts := s.accountOptions()
	s.mu.Unlock()
	s.stop()
	err := account.RenameDevice(ctx, client, a, name, opts)
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
		return fmt.Errorf("sign in to an InfiniCLOUD account first")
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
