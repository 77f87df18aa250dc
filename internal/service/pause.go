package service

import (
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/msg"
)

// Pause holds every upload (mid-file too) until Resume.
func (s *Service) Pause() { s.PauseUntil(time.Time{}) }

// PauseUntil holds every upload until the moment (zero: until Resume).
// Changes are still noted; the pause is saved and outlives a restart.
func (s *Service) PauseUntil(until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPauseLocked(&account.Pause{Until: until})
}

// Resume continues, and rescans what changed meanwhile.
func (s *Service) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPauseLocked(nil)
}

func (s *Service) setPauseLocked(p *account.Pause) {
	s.cfg.Paused = p
	if p != nil {
		s.stopVerifyLocked()
	}
	if err := s.saveLocked(); err != nil {
		s.log.Warn("saving the pause", "err", err) // it still holds until Kumo quits
	}
	if p != nil {
		s.log.Info("paused", "until", p.Until)
	} else {
		s.log.Info("resumed")
	}
	if s.runner != nil {
		if p != nil {
			s.runner.Pause()
		} else {
			s.runner.Resume()
		}
	}
	s.changedLocked()
}

// endPauseIfDueLocked resumes a timed pause whose moment has passed.
func (s *Service) endPauseIfDueLocked() {
	if p := s.cfg.Paused; p != nil && !p.Until.IsZero() && !s.opts.Now().Before(p.Until) {
		s.setPauseLocked(nil)
	}
}

// watchClock ends timed pauses on time and notices folders falling
// behind, until the service closes.
func (s *Service) watchClock() {
	tick := time.NewTicker(s.opts.PauseCheck)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			s.mu.Lock()
			s.endPauseIfDueLocked()
			s.checkLateLocked()
			s.mu.Unlock()
		case <-s.quit:
			return
		}
	}
}

// Tomorrow is when "pause until tomorrow" ends: 08:00 on the next day, local time.
func Tomorrow(now time.Time) time.Time {
	y, m, d := now.Local().Date()
	return time.Date(y, m, d+1, 8, 0, 0, 0, time.Local)
}

// untilWords says a pause's end the way a person would: "14:30",
// "tomorrow 08:00", or the date for later.
func untilWords(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	y, m, d := now.Date()
	switch ty, tm, td := t.Date(); {
	case ty == y && tm == m && td == d:
		return t.Format("15:04")
	case t.Before(time.Date(y, m, d+2, 0, 0, 0, 0, time.Local)) && t.After(now):
		return msg.T("tomorrow %s", t.Format("15:04"))
	default:
		return t.Format(msg.T("Mon 2 Jan 15:04"))
	}
}
