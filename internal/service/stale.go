package service

import (
	"path/filepath"
	"slices"
	"time"

	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/session"
	"github.com/kumo-backup/kumo/transport"
)

// Late is a folder whose backup has fallen behind for longer than the
// settings allow: its changes have waited, or it has not been fully backed
// up for days. The app says so once and shows a warning icon until the
// folder is backed up again.
type Late struct {
	Folder string
	// Since is when the folder was last fully backed up (zero: never).
	Since   time.Time
	Message string // "Documents has not been backed up since Tue 1 Dec 09:30. Kumo is paused: …"
}

// stalled is how long a pass may go without sending anything before a
// busy folder counts as behind: a long first backup that moves is not late.
const stalled = time.Hour

// saveBackedUpEvery bounds how often noting "backed up" rewrites the
// settings file (a folder that changes every minute would rewrite it every
// minute); a change from behind to backed up is saved at once.
const saveBackedUpEvery = time.Hour

// lateGrace is how long a start has to catch up before a folder last
// backed up days ago (the laptop was off) counts as late.
const lateGrace = 10 * time.Minute

// upToDate reports whether the folder's engine runs and has nothing
// waiting: its last pass completed and nothing is under way.
func (r *folderState) upToDate() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.complete && !r.busy
}

// noteBackedUpLocked records that folder is fully backed up now. That is
// news the first time and after more than an hour behind: then the settings
// file is written and the other computers told at once; otherwise at most
// hourly (and six-hourly, shareLastBackupLocked).
func (s *Service) noteBackedUpLocked(folder string, now time.Time) {
	if s.cfg.BackedUp == nil {
		s.cfg.BackedUp = map[string]time.Time{}
	}
	prev, seen := s.cfg.BackedUp[folder]
	s.cfg.BackedUp[folder] = now
	news := !seen || now.Sub(prev) >= saveBackedUpEvery
	if news || now.Sub(s.savedBackedUp) >= saveBackedUpEvery {
		s.savedBackedUp = now
		if err := s.saveLocked(); err != nil {
			s.log.Warn("saving when folders were backed up", "err", err)
		}
	}
	s.shareLastBackupLocked(now, news)
}

// refreshBackedUpLocked moves "last fully backed up" to now for every
// folder that is up to date: an idle folder with nothing to send is backed
// up as of now, not as of its last change.
func (s *Service) refreshBackedUpLocked(now time.Time) {
	for _, f := range s.cfg.Folders {
		if r := s.folders[f.Path]; r != nil && r.upToDate() {
			s.noteBackedUpLocked(f.Path, now)
		}
	}
}

// lateLocked lists the folders that are behind for longer than the
// settings allow, with what stops them.
func (s *Service) lateLocked(now time.Time) []Late {
	set := s.cfg.Settings.WithDefaults()
	if now.Sub(s.began) < lateGrace {
		return nil
	}
	var out []Late
	for _, path := range s.folderPathsLocked() {
		r := s.folders[path]
		var waiting, moved time.Time
		busy := false
		if r != nil {
			r.mu.Lock()
			complete := r.complete && !r.busy
			waiting, moved, busy = r.waitingSince, r.movedAt, r.busy
			r.mu.Unlock()
			if complete {
				continue
			}
		}
		if busy && now.Sub(moved) < stalled && s.cfg.Paused == nil {
			continue // sending: a long backup is not a stopped one
		}
		since := s.cfg.BackedUp[path]
		late := set.StaleHours > 0 && !waiting.IsZero() && now.Sub(waiting) >= time.Duration(set.StaleHours)*time.Hour
		late = late || set.StaleDays > 0 && !since.IsZero() && now.Sub(since) >= time.Duration(set.StaleDays)*24*time.Hour
		if !late {
			continue
		}
		name := filepath.Base(path)
		head := msg.T("%s has not been backed up since %s.", name, pastWords(since, now))
		if since.IsZero() {
			head = msg.T("%s has not been backed up yet: its changes have waited since %s.", name, pastWords(waiting, now))
		}
		out = append(out, Late{Folder: path, Since: since, Message: head + " " + s.lateReasonLocked(path, r)})
	}
	return out
}

// lateReasonLocked says what keeps a folder from being backed up and what
// to do about it.
func (s *Service) lateReasonLocked(path string, r *folderState) string {
	if s.cfg.Paused != nil {
		return msg.T("Kumo is paused: choose Resume to back up.")
	}
	for _, f := range s.cfg.Folders {
		if f.Path != path {
			continue
		}
		switch _, why := session.HoldPolicyOf(s.cfg.Settings).HoldFor(f, s.cond); why {
		case session.HeldMetered:
			return msg.T("The connection is metered: connect to another network, or allow this folder on metered connections in Folders.")
		case session.HeldOnBattery, session.HeldLowBattery:
			return msg.T("Kumo is waiting for power: plug the computer in, or change the battery settings in Settings.")
		}
	}
	if s.askPassword {
		return msg.T("The server refused the password: enter the new Apps Password.")
	}
	if r == nil {
		return msg.T("Kumo is not connected to the server: check the network and the problems below.")
	}
	_, _, p, failed := r.snapshot()
	if p != nil {
		return p.Message
	}
	for _, f := range failed {
		if transport.Classify(f.Err) != transport.ClassFile {
			return s.explain(f.Err)
		}
	}
	return msg.T("The backup is not moving: check the network.")
}

// pastWords says a moment that has passed the way a person would: "09:30"
// today, "yesterday 09:30", or the date.
func pastWords(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.Local)
	switch {
	case !t.Before(today):
		return t.Format("15:04")
	case !t.Before(today.AddDate(0, 0, -1)):
		return msg.T("yesterday %s", t.Format("15:04"))
	case t.Year() == y:
		return t.Format(msg.T("Mon 2 Jan 15:04"))
	}
	return t.Format(msg.T("2 Jan 2006 15:04"))
}

// checkLateLocked, on the clock's tick, keeps "last backed up" current for
// the folders that are up to date and publishes a new Status when the
// folders that are late changed.
func (s *Service) checkLateLocked() {
	now := s.opts.Now()
	s.refreshBackedUpLocked(now)
	s.refreshComputersLocked(now)
	var shown []Late
	if st := s.latest.Load(); st != nil {
		shown = st.Late
	}
	late := s.lateLocked(now)
	if !slices.EqualFunc(late, shown, func(a, b Late) bool { return a == b }) {
		s.changedLocked()
	}
}
