package service

import (
	"sync"
	"time"

	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/session"
)

// watchConditions follows the network and power until the service closes,
// holding the folders as the settings say.
func (s *Service) watchConditions(src conditions.Source) {
	var first sync.Once
	src.Watch(s.life, func(c conditions.State) {
		defer first.Do(func() { close(s.condKnown) })
		s.mu.Lock()
		defer s.mu.Unlock()
		if c != s.cond {
			s.log.Info("network and power", "state", c.String(), "seen", c.Seen)
		}
		s.cond = c
		if c.Metered || c.OnBattery {
			s.stopVerifyLocked()
		}
		if s.runner != nil {
			s.runner.SetConditions(c)
		}
		s.changedLocked()
	})
}

// awaitConditions waits (briefly) for the first word on the network and
// power, so that a metered connection holds from the first pass.
func (s *Service) awaitConditions() {
	if s.opts.Conditions == nil {
		return
	}
	t := time.NewTimer(3 * time.Second)
	defer t.Stop()
	select {
	case <-s.condKnown:
	case <-t.C:
	}
}

// holdLocked is what the network and power hold now: the reason when it
// holds every folder entirely (all), or the reason it holds some of them
// or their larger files (some).
func (s *Service) holdLocked() (all, some session.HoldReason) {
	policy := session.HoldPolicyOf(s.cfg.Settings)
	full := 0
	for _, f := range s.cfg.Folders {
		h, why := policy.HoldFor(f, s.cond)
		if why == session.NotHeld {
			continue
		}
		some = why
		if h.All {
			full++
		}
	}
	if full > 0 && full == len(s.cfg.Folders) {
		return some, some
	}
	return session.NotHeld, some
}

// holdLine says why Kumo waits and until when, as the status line.
func (s *Service) holdLine(why session.HoldReason) string {
	set := s.cfg.Settings.WithDefaults()
	switch why {
	case session.HeldMetered:
		return msg.T("Paused: metered connection. Changes are noted and will be backed up on an unmetered connection")
	case session.HeldOnBattery:
		return msg.T("Waiting for power: on battery. Changes are noted and will be backed up once the computer is plugged in")
	case session.HeldLowBattery:
		return msg.T("Waiting for power: battery at %.0f%%. Changes are noted and will be backed up once the computer is plugged in or charged above %d%%",
			s.cond.Battery, set.LowBatteryPercent)
	}
	return ""
}

// partialHoldLine says what waits while the rest goes on.
func (s *Service) partialHoldLine(why session.HoldReason) string {
	if why != session.HeldMetered {
		return ""
	}
	if mb := s.cfg.Settings.WithDefaults().MeteredAllowMB; mb > 0 {
		return msg.T("On a metered connection: files over %d MB wait for an unmetered one", mb)
	}
	return msg.T("On a metered connection: only the folders allowed on metered connections are backed up")
}
