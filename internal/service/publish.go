package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/session"
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
		st.Account = msg.T("the demo server on this computer")
	case s.cfg.Account != nil:
		st.Account = msg.T("%s on %s", s.cfg.Account.User, s.cfg.Account.Host())
	}
	st.Problems = append(st.Problems, s.problems...)
	st.Problems = append(st.Problems, s.verifyProblemsLocked()...)
	st.Verified = s.verifiedLineLocked(s.opts.Now())
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
			st.Problems = append(st.Problems, Problem{Folder: path, Path: f.Path, Message: s.redactLocked(f.Err.Error())})
		}
	}
	st.Recent = slices.Clone(s.recent)
	st.Computers = slices.Clone(s.computers)
	if s.cfg.Account != nil || s.cfg.Demo {
		st.Late = s.lateLocked(s.opts.Now())
	}
	heldAll, heldSome := s.holdLocked()
	switch {
	case s.cfg.Account == nil && !s.cfg.Demo:
		st.State = SignedOut
	case s.cfg.Paused != nil:
		st.State = Paused
		st.PausedUntil = s.cfg.Paused.Until
	case heldAll != session.NotHeld:
		st.State = Held
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
	if st.State == Held {
		st.Line = s.holdLine(heldAll)
	} else if heldSome != session.NotHeld && st.State != Paused {
		st.Holding = s.partialHoldLine(heldSome)
	}
	if st.State == Paused && !st.PausedUntil.IsZero() {
		st.Line = msg.T("Paused until %s: changes are noted and will be backed up then", untilWords(st.PausedUntil, s.opts.Now()))
	}
	if st.AskPassword && !s.tryUntil.IsZero() {
		st.Line = msg.T("Waiting for InfiniCLOUD to accept the new Apps Password (it can take a few minutes); Kumo tries again until %s",
			s.tryUntil.Local().Format("15:04"))
	}
	return st
}

func (s *Service) redactLocked(msg string) string {
	if s.sess != nil {
		return s.sess.Client.Redact(msg)
	}
	return msg
}

// refreshQuota reads how full the account is after a change: the
// server's own figure, never one Kumo worked out (deleted files stay
// counted while the service's snapshots hold them).
func (s *Service) refreshQuota() {
	sess := s.sessSnap.Load()
	if sess == nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.life, 30*time.Second)
	defer cancel()
	st, err := sess.Storage().Read(ctx)
	if err != nil {
		return // the server cannot be asked now; the last figure stays
	}
	s.mu.Lock()
	s.quota = storageLine(st)
	s.changedLocked()
	s.mu.Unlock()
}

// storageLine says how full the account is, or in words why nobody knows.
func storageLine(st account.Storage) string {
	switch {
	case st.Known:
		return msg.T("%s of %s used", human.Bytes(st.Used), human.Bytes(st.Used+st.Available))
	case st.RESTProblem != nil:
		return msg.T("unknown (%s)", strings.TrimSuffix(Sentence(st.RESTProblem), "."))
	}
	return msg.T("unknown (this server does not say how full the account is)")
}
