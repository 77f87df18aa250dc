package service

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/session"
	"github.com/kumo-backup/kumo/transport"
	"github.com/kumo-backup/kumo/watcher"
)

// Folder is a chosen folder and its exclude patterns.
type Folder = account.Folder

// folderState is what one chosen folder's engine last said.
type folderState struct {
	path string

	mu       sync.Mutex
	progress backup.Progress
	busy     bool
	problem  *Problem
	failed   []backup.FileError
	// complete: the last pass ended with nothing left for later.
	complete bool
	// waitingSince is when the changes not yet backed up were first
	// noticed (zero: none); movedAt when the pass under way last sent something.
	waitingSince, movedAt time.Time
}

func (r *folderState) snapshot() (backup.Progress, bool, *Problem, []backup.FileError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.progress, r.busy, r.problem, r.failed
}

// hooks connect a folder's engine to the Status. The runner calls it from
// Start, so under s.mu.
func (s *Service) hooks(f account.Folder) session.Hooks {
	r := s.folders[f.Path]
	return session.Hooks{
		OnProgress: func(p backup.Progress) {
			now := s.opts.Now()
			r.mu.Lock()
			if !p.Done && r.waitingSince.IsZero() {
				r.waitingSince, r.movedAt = now, now
			}
			if r.busy && (p.FilesDone > r.progress.FilesDone || p.BytesDone > r.progress.BytesDone) {
				r.movedAt = now // sending; a pass tried again is not
			}
			started := !r.busy && !p.Done
			r.progress, r.busy = p, !p.Done
			r.mu.Unlock()
			if started {
				s.mu.Lock()
				s.stopVerifyLocked() // backing up comes first
				s.mu.Unlock()
			}
			s.changed()
		},
		OnUploaded: func(rel string) {
			s.mu.Lock()
			s.noteRecentLocked(filepath.Join(filepath.Base(f.Path), filepath.FromSlash(rel)))
			s.mu.Unlock()
		},
		OnPass: func(sum *backup.Summary, err error) { s.passDone(r, sum, err) },
		OnNote: func(note string) { s.log.Info(note, "folder", f.Path) },
	}
}

// startFolderLocked starts watching f; a folder that cannot start says why.
func (s *Service) startFolderLocked(f account.Folder) {
	if s.runner == nil {
		return
	}
	s.folders[f.Path] = &folderState{path: f.Path}
	if err := s.runner.Start(f); err != nil {
		delete(s.folders, f.Path)
		s.problems = append(s.problems, Problem{Folder: f.Path, Message: s.explain(err)})
	}
}

// noteRecentLocked remembers the last files sent, newest first.
func (s *Service) noteRecentLocked(p string) {
	if i := slices.Index(s.recent, p); i >= 0 {
		s.recent = slices.Delete(s.recent, i, i+1)
	}
	s.recent = slices.Insert(s.recent, 0, p)
	if len(s.recent) > 6 {
		s.recent = s.recent[:6]
	}
}

// passDone records a pass's outcome: the files done, and what went wrong
// in words, with a notification for what a person must act on.
func (s *Service) passDone(r *folderState, sum *backup.Summary, err error) {
	var problem *Problem
	if err != nil {
		problem = &Problem{Folder: r.path, Message: s.explain(err)}
		switch transport.Classify(err) {
		case transport.ClassAuth, transport.ClassQuota:
			problem.Notify = true
		}
		if backup.FolderUnavailable(err) {
			problem.Notify = true
		}
	}
	now := s.opts.Now()
	complete := err == nil && sum != nil && sum.Held == 0 && !slices.ContainsFunc(sum.Failed, func(f backup.FileError) bool {
		return transport.Classify(f.Err) != transport.ClassFile // the network or the server, not one file's own trouble
	})
	r.mu.Lock()
	r.busy, r.problem, r.complete = false, problem, complete
	if sum != nil {
		r.failed = sum.Failed
	}
	if complete {
		r.waitingSince = time.Time{}
	} else if r.waitingSince.IsZero() {
		r.waitingSince = now
	}
	r.mu.Unlock()
	s.mu.Lock()
	if complete && s.folders[r.path] == r {
		s.noteBackedUpLocked(r.path, now)
	}
	if transport.Classify(err) == transport.ClassAuth && !s.askPassword {
		s.askPassword = true // asked once, however many folders hear the 401
		s.log.Warn("the server refused the password; backing up holds until it is entered again")
	}
	if err == nil && sum != nil {
		s.last = now
		if sum.Files+sum.Moved > 0 {
			go s.refreshQuota()
		}
	}
	s.mu.Unlock()
	s.changed()
}

// AddFolder chooses a folder to back up and starts watching it.
func (s *Service) AddFolder(path string, excludes []string) error {
	abs, err := s.checkNewFolder(path)
	if err != nil {
		return err
	}
	return s.addFolder(account.Folder{Path: abs, Excludes: excludes})
}

// checkNewFolder is path made absolute, once it is a readable folder that
// no chosen folder overlaps or shares its name with.
func (s *Service) checkNewFolder(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s is not a folder that can be read", abs)
	}
	if _, err := format.RemoteFolder("x", abs); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return abs, s.overlapLocked(abs)
}

func (s *Service) overlapLocked(abs string) error {
	for _, f := range s.cfg.Folders {
		switch {
		case f.Path == abs:
			return fmt.Errorf("%s is already backed up", abs)
		case filepath.Base(f.Path) == filepath.Base(abs):
			return fmt.Errorf("a folder named %s is already backed up (%s): the server keeps folders by name, so rename one of them first", filepath.Base(abs), f.Path)
		case within(abs, f.Path) || within(f.Path, abs):
			return fmt.Errorf("%s and %s overlap: choose one of them", abs, f.Path)
		}
	}
	return nil
}

// addFolder saves a checked folder among the chosen ones and starts it.
func (s *Service) addFolder(f account.Folder) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.overlapLocked(f.Path); err != nil {
		return err // chosen meanwhile
	}
	s.cfg.Folders = append(s.cfg.Folders, f)
	if err := s.saveLocked(); err != nil {
		return err
	}
	s.startFolderLocked(f)
	s.changedLocked()
	return nil
}

func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && !filepath.IsAbs(rel) && rel != ".." && !startsDotDot(rel)
}

func startsDotDot(rel string) bool {
	return len(rel) >= 3 && rel[:2] == ".." && os.IsPathSeparator(rel[2])
}

// RemoveFolder stops backing up a folder; what is on the server stays, and
// an encrypted folder's passphrase leaves the keyring.
func (s *Service) RemoveFolder(path string) error {
	s.mu.Lock()
	i, runner, err := s.detachLocked(path)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if s.cfg.Account != nil {
		// Its backups stay; restoring them asks for the passphrase again.
		s.forgetFolderPassphrase(*s.cfg.Account, s.cfg.Folders[i])
	}
	s.cfg.Folders = slices.Delete(s.cfg.Folders, i, i+1)
	delete(s.cfg.BackedUp, path)
	err = s.saveLocked()
	s.mu.Unlock()
	if runner != nil {
		runner.Stop(path)
	}
	s.changed()
	return err
}

// SetExcludes changes a folder's exclude patterns and rescans it.
func (s *Service) SetExcludes(path string, excludes []string) error {
	return s.updateFolder(path, func(f *account.Folder) { f.Excludes = excludes })
}

// SetOnMetered lets a folder back up on metered connections too (or not).
func (s *Service) SetOnMetered(path string, on bool) error {
	return s.updateFolder(path, func(f *account.Folder) { f.OnMetered = on })
}

// updateFolder changes a chosen folder's settings, saves them and restarts
// its engine with them.
func (s *Service) updateFolder(path string, change func(*account.Folder)) error {
	s.mu.Lock()
	i, runner, err := s.detachLocked(path)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	change(&s.cfg.Folders[i])
	f := s.cfg.Folders[i]
	err = s.saveLocked()
	s.mu.Unlock()
	if runner != nil {
		runner.Stop(path)
	}
	s.mu.Lock()
	s.startFolderLocked(f)
	s.changedLocked()
	s.mu.Unlock()
	return err
}

// detachLocked finds a chosen folder and takes its state out of the
// service; the caller stops its engine once the lock is released.
func (s *Service) detachLocked(path string) (int, *session.Runner, error) {
	i := slices.IndexFunc(s.cfg.Folders, func(f account.Folder) bool { return f.Path == path })
	if i < 0 {
		return -1, nil, fmt.Errorf("%s is not backed up", path)
	}
	delete(s.folders, path)
	delete(s.verified, path)
	return i, s.runner, nil
}

// Estimate counts what a folder would send on its first backup.
func Estimate(ctx context.Context, path string, excludes []string) (files int64, bytes int64, err error) {
	filter := watcher.NewFilter(excludes...)
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts are reported by the backup itself
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(path, p)
		if rel != "." && filter.Ignored(filepath.ToSlash(rel), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				files++
				bytes += info.Size()
			}
		}
		return nil
	})
	return files, bytes, err
}

// BackUpNow runs a full pass of every folder now.
func (s *Service) BackUpNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.folders {
		r.mu.Lock()
		r.problem = nil
		r.mu.Unlock()
	}
	for _, v := range s.verified {
		v.damaged, v.rotted = nil, nil // seen: the next round looks again
	}
	if s.runner != nil {
		s.runner.Rescan()
	}
	s.changedLocked()
}

// folderPathsLocked lists the chosen folders, sorted.
func (s *Service) folderPathsLocked() []string {
	out := make([]string, 0, len(s.cfg.Folders))
	for _, f := range s.cfg.Folders {
		out = append(out, f.Path)
	}
	sort.Strings(out)
	return out
}
