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

// shareLastBackupLocked tells the account's other computers when each
// folder was last fully backed up (session.ShareLastBackups: at once when
// news, else six-hourly). It sends nothing while uploads hold (a metered
// connection, a pause).
func (s *Service) shareLastBackupLocked(now time.Time, news bool) {
	if s.sess == nil || s.cfg.Paused != nil {
		return
	}
	if all, some := s.holdLocked(); all != session.NotHeld || some != session.NotHeld {
		return
	}
	folders := map[string]time.Time{}
	for _, f := range s.cfg.Folders {
		if t, ok := s.cfg.BackedUp[f.Path]; ok {
			folders[filepath.Base(f.Path)] = t.UTC()
		}
	}
	s.sess.ShareLastBackups(s.life, folders, now, news)
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
