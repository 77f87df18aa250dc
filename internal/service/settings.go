package service

import (
	"fmt"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/autostart"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/problem"
)

// Settings tune the engines; zero values mean the defaults.
type Settings = account.Settings

// UpdateSettings saves new settings, turns starting at login on or off,
// and restarts the engines with them.
func (s *Service) UpdateSettings(set Settings) error {
	if s.opts.Autostart.ID != "" {
		if err := autostart.Set(s.opts.Autostart, set.StartAtLogin); err != nil {
			return fmt.Errorf("cannot change starting at login: %w", err)
		}
	}
	s.mu.Lock()
	s.cfg.Settings = set
	err := s.saveLocked()
	running := s.sess != nil
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

// SetTrayHintShown remembers that the user was told about the tray.
func (s *Service) SetTrayHintShown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.TrayHintShown = true
	_ = s.saveLocked()
}

// UseLanguage makes the service's sentences (the status, problems, times
// in words) speak code's language ("ja"; anything else is English).
func UseLanguage(code string) {
	msg.Use(code)
	problem.Use(problem.ForLanguage(code))
}
