package service

import (
	"context"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/session"
)

// verifyState is what verification last said of one folder.
type verifyState struct {
	state backup.VerifyState
	// What a round found, until the person chooses Retry (Back up now): a
	// damaged server copy is sent again at once, but a person should still
	// hear that the server damaged it, however quickly it was mended.
	damaged []Problem
	rotted  []Problem // local bit rot
}

// watchVerify takes one verification step now and then, until the service
// closes: only while nothing else goes on, on an unmetered connection and
// mains power.
func (s *Service) watchVerify() {
	tick := time.NewTicker(s.opts.VerifyCheck)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			s.verifyStep()
		case <-s.quit:
			return
		}
	}
}

// verifyAllowedLocked says whether verification may read from the server now.
func (s *Service) verifyAllowedLocked() bool {
	if s.runner == nil || s.cfg.Paused != nil || s.askPassword || s.verifying || s.cfg.Settings.WithDefaults().VerifyDays < 0 {
		return false
	}
	if s.cond.Metered || s.cond.OnBattery {
		return false // reading every file back is data and power a person did not ask for there
	}
	if all, some := s.holdLocked(); all != session.NotHeld || some != session.NotHeld {
		return false
	}
	for _, r := range s.folders {
		if _, busy, _, _ := r.snapshot(); busy {
			return false // backing up comes first
		}
	}
	return true
}

// verifyStep checks the next files of every folder's rotation; a damaged
// server copy makes the next pass send the file again.
func (s *Service) verifyStep() {
	s.mu.Lock()
	if !s.verifyAllowedLocked() {
		s.mu.Unlock()
		return
	}
	s.verifying = true
	ctx, cancel := context.WithCancel(s.life)
	defer cancel()
	s.stopVerify = cancel
	runner, paths := s.runner, s.folderPathsLocked()
	lim := backup.VerifyLimits{Period: time.Duration(s.cfg.Settings.WithDefaults().VerifyDays) * 24 * time.Hour, Rate: s.opts.VerifyRate}
	s.mu.Unlock()
	damaged := false
	for _, path := range paths {
		rep, err := runner.Verify(ctx, path, lim)
		if err != nil {
			s.log.Info("verification stopped for now", "folder", path, "err", err)
		}
		s.mu.Lock()
		v := s.verified[path]
		if v == nil {
			v = &verifyState{}
			s.verified[path] = v
		}
		if err == nil || rep.Checked > 0 {
			v.state = rep.State
		}
		for _, f := range rep.Damaged {
			v.damaged = append(v.damaged, Problem{Folder: path, Path: f.Path, Message: s.explain(f.Err)})
			damaged = true
		}
		for _, f := range rep.Rotted {
			v.rotted = append(v.rotted, Problem{Folder: path, Path: f.Path, Message: s.explain(f.Err), Notify: true})
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.verifying, s.stopVerify = false, nil
	if damaged && s.runner == runner {
		s.runner.Rescan() // the next pass sends the damaged copies again
	}
	s.changedLocked()
	s.mu.Unlock()
}

// stopVerifyLocked ends a verification step under way: a backup, a pause
// or a metered connection comes first. The step's place is kept.
func (s *Service) stopVerifyLocked() {
	if s.stopVerify != nil {
		s.stopVerify()
	}
}

// verifyProblemsLocked are what verification found, for the Status.
func (s *Service) verifyProblemsLocked() []Problem {
	var out []Problem
	for _, path := range s.folderPathsLocked() {
		if v := s.verified[path]; v != nil {
			out = append(append(out, v.damaged...), v.rotted...)
		}
	}
	return out
}

// verifiedLine says how far verification has come, over every folder:
// "Verified: 3 days ago, 12,400 of 12,400 files", or while the first round
// goes "Verifying: 4,100 of 12,400 files checked so far".
func (s *Service) verifiedLineLocked(now time.Time) string {
	var oldest time.Time
	var files, good, done, total int64
	rounds := 0
	for _, path := range s.folderPathsLocked() {
		v := s.verified[path]
		if v == nil {
			if s.runner == nil {
				continue
			}
			v = &verifyState{state: s.runner.VerifyState(path)}
			s.verified[path] = v
		}
		st := v.state
		done += st.DoneFiles
		total += st.Files
		if st.LastEnd.IsZero() {
			continue
		}
		rounds++
		files += st.LastFiles
		good += st.LastGood
		if oldest.IsZero() || st.LastEnd.Before(oldest) {
			oldest = st.LastEnd
		}
	}
	switch {
	case rounds > 0 && rounds == len(s.cfg.Folders):
		return msg.T("Verified: %s, %s of %s files", human.Ago(oldest, now), human.Count(good), human.Count(files))
	case total > 0 && done > 0:
		return msg.T("Verifying: %s of %s files checked so far", human.Count(done), human.Count(total))
	}
	return ""
}
