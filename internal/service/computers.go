package service

import (
	"context"
	"path/filepath"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/session"
)

// Computer is another computer of the account and when it last backed up.
type Computer = account.Computer

// computersEvery is how often the other computers' last backups are read
// again: they matter in days, and each read costs a request per computer.
const computersEvery = 6 * time.Hour

// shareLastBackupLocked tells the account's other computers, through a
// small file in this device folder, when each folder was last fully backed
// up. It sends nothing while uploads hold (a metered connection, a pause).
func (s *Service) shareLastBackupLocked(now time.Time) {
	sess := s.sess
	if sess == nil || s.sharing || s.cfg.Paused != nil {
		return
	}
	if all, some := s.holdLocked(); all != session.NotHeld || some != session.NotHeld {
		return
	}
	b := account.LastBackup{Device: s.deviceLocked(), Folders: map[string]time.Time{}}
	for _, f := range s.cfg.Folders {
		if t, ok := s.cfg.BackedUp[f.Path]; ok {
			b.Folders[filepath.Base(f.Path)] = t.UTC()
		}
	}
	if len(b.Folders) == 0 {
		return
	}
	s.sharing, s.sharedAt = true, now
	go func() {
		ctx, cancel := context.WithTimeout(s.life, time.Minute)
		defer cancel()
		err := account.WriteLastBackup(ctx, sess.Client, b)
		if err != nil && ctx.Err() == nil {
			s.log.Info("could not tell the account's other computers when this one last backed up", "err", err)
		}
		s.mu.Lock()
		s.sharing = false
		s.mu.Unlock()
	}()
}

// refreshComputersLocked reads, now and then, when the account's other
// computers last backed up.
func (s *Service) refreshComputersLocked(now time.Time) {
	sess := s.sess
	if sess == nil || s.readingComputers || (!s.computersAt.IsZero() && now.Sub(s.computersAt) < computersEvery) {
		return
	}
	if all, _ := s.holdLocked(); all != session.NotHeld {
		return
	}
	s.readingComputers, s.computersAt = true, now
	self := s.deviceLocked()
	go func() {
		ctx, cancel := context.WithTimeout(s.life, time.Minute)
		defer cancel()
		comps, err := account.OtherComputers(ctx, sess.Client, self)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.readingComputers = false
		if err != nil {
			if ctx.Err() == nil {
				s.log.Info("could not read when the account's other computers last backed up", "err", err)
			}
			return
		}
		s.computers = comps
		s.changedLocked()
	}()
}
