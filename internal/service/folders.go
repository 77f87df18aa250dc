package service

import (
	"context"
	"errors"
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
	"github.com/kumo-backup/kumo/transport"
)

// folderRun is one chosen folder's engine, watching.
type folderRun struct {
	path   string
	engine *backup.Engine
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	progress backup.Progress
	busy     bool
	problem  *Problem
	failed   []backup.FileError
}

func (r *folderRun) stop() {
	r.cancel()
	<-r.done
	r.engine.Close()
}

func (r *folderRun) snapshot() (backup.Progress, bool, *Problem, []backup.FileError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.progress, r.busy, r.problem, r.failed
}

// startFolderLocked starts watching f; a folder that cannot start says why.
func (s *Service) startFolderLocked(f account.Folder) {
	if s.client == nil {
		return
	}
	set := s.cfg.Settings.WithDefaults()
	r := &folderRun{path: f.Path, done: make(chan struct{})}
	eng, err := backup.New(s.client, backup.Options{Root: f.Path, Device: s.deviceLocked(), Workers: set.Workers, Index: s.ix,
		Filter: Filter(f.Excludes), Logger: s.log, Retention: retention(set),
		OnProgress: func(p backup.Progress) {
			r.mu.Lock()
			r.progress, r.busy = p, !p.Done
			r.mu.Unlock()
			s.changed()
		},
		OnUploaded: func(rel string) {
			s.mu.Lock()
			s.noteRecentLocked(filepath.Join(filepath.Base(f.Path), filepath.FromSlash(rel)))
			s.mu.Unlock()
		}})
	if err != nil {
		close(r.done)
		s.problems = append(s.problems, Problem{Folder: f.Path, Message: err.Error()})
		return
	}
	r.engine = eng
	if s.paused {
		eng.Pause()
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r.cancel = cancel
	s.folders[f.Path] = r
	go func() {
		defer close(r.done)
		err := eng.Watch(ctx, backup.WatchOptions{Quiet: time.Duration(set.QuietSeconds) * time.Second,
			OnPass: func(sum *backup.Summary, err error) { s.passDone(r, sum, err) },
			OnNote: func(note string) { s.log.Info(note, "folder", f.Path) }})
		if err != nil && ctx.Err() == nil {
			s.passDone(r, nil, err)
		}
	}()
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

func retention(set account.Settings) backup.Retention {
	r := backup.DefaultRetention
	r.Daily = time.Duration(set.KeepDailyDays) * 24 * time.Hour
	return r
}

// passDone records a pass's outcome: the files done, and what went wrong
// in words, with a notification for what a person must act on.
func (s *Service) passDone(r *folderRun, sum *backup.Summary, err error) {
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
	r.mu.Lock()
	r.busy, r.problem = false, problem
	if sum != nil {
		r.failed = sum.Failed
	}
	r.mu.Unlock()
	s.mu.Lock()
	if transport.Classify(err) == transport.ClassAuth && !s.askPassword {
		s.askPassword = true // asked once, however many folders hear the 401
		s.log.Warn("the server refused the password; backing up holds until it is entered again")
	}
	if err == nil && sum != nil {
		s.last = time.Now()
		if sum.Files+sum.Moved > 0 {
			go s.refreshQuota()
		}
	}
	s.mu.Unlock()
	s.changed()
}

// explain turns an engine error into a sentence that says what to do.
func (s *Service) explain(err error) string {
	s.mu.Lock()
	client := s.client
	s.mu.Unlock()
	msg := err.Error()
	if client != nil {
		msg = client.Redact(msg)
	}
	switch {
	case transport.Classify(err) == transport.ClassAuth:
		return "The server refused the password: the Apps Password was reissued, or Apps Connection was turned off on My Page. " +
			"Enter the new Apps Password (Kumo asks for it); backing up resumes where it stopped."
	case transport.Classify(err) == transport.ClassQuota:
		return "Your InfiniCLOUD storage is full, so backing up is paused. Free some space or upgrade the plan; Kumo notices and continues by itself."
	case errors.Is(err, backup.ErrFolderMissing):
		return "The folder is not there (is its drive connected?). Its backups are kept; Kumo continues when it is back."
	case errors.Is(err, backup.ErrFolderUnmounted):
		return "The folder is empty and no longer on its drive: the drive is probably not connected. Nothing is marked deleted; " +
			"Kumo continues when the drive is back. To bring the files back instead, use Restore."
	case transport.Classify(err) == transport.ClassRetry:
		return "Cannot reach the server right now (" + msg + "). Kumo tries again by itself in a little while, or choose Retry."
	}
	return msg
}

// AddFolder chooses a folder to back up and starts watching it.
func (s *Service) AddFolder(path string, excludes []string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	st, err := os.Stat(abs)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a folder that can be read", abs)
	}
	if _, err := backup.RemoteFolder("x", abs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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
	f := account.Folder{Path: abs, Excludes: excludes}
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

// RemoveFolder stops backing up a folder; what is on the server stays.
func (s *Service) RemoveFolder(path string) error {
	s.mu.Lock()
	i, r, err := s.detachLocked(path)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.cfg.Folders = slices.Delete(s.cfg.Folders, i, i+1)
	err = s.saveLocked()
	s.mu.Unlock()
	if r != nil {
		r.stop()
	}
	s.changed()
	return err
}

// SetExcludes changes a folder's exclude patterns and rescans it.
func (s *Service) SetExcludes(path string, excludes []string) error {
	s.mu.Lock()
	i, r, err := s.detachLocked(path)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.cfg.Folders[i].Excludes = excludes
	f := s.cfg.Folders[i]
	err = s.saveLocked()
	s.mu.Unlock()
	if r != nil {
		r.stop()
	}
	s.mu.Lock()
	s.startFolderLocked(f)
	s.mu.Unlock()
	return err
}

// detachLocked finds a chosen folder and takes its running engine out of
// the service, for the caller to stop once the lock is released.
func (s *Service) detachLocked(path string) (int, *folderRun, error) {
	i := slices.IndexFunc(s.cfg.Folders, func(f account.Folder) bool { return f.Path == path })
	if i < 0 {
		return -1, nil, fmt.Errorf("%s is not backed up", path)
	}
	r := s.folders[path]
	delete(s.folders, path)
	return i, r, nil
}

// Estimate counts what a folder would send on its first backup.
func Estimate(ctx context.Context, path string, excludes []string) (files int64, bytes int64, err error) {
	filter := Filter(excludes)
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
		r.engine.Rescan()
	}
	s.changedLocked()
}

// Pause holds every upload (mid-file too) until Resume.
func (s *Service) Pause() { s.setPaused(true) }

// Resume continues, and rescans what changed meanwhile.
func (s *Service) Resume() { s.setPaused(false) }

func (s *Service) setPaused(p bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = p
	for _, r := range s.folders {
		if p {
			r.engine.Pause()
		} else {
			r.engine.Resume()
		}
	}
	s.changedLocked()
}

// folderPaths lists the chosen folders, sorted.
func (s *Service) folderPathsLocked() []string {
	out := make([]string, 0, len(s.cfg.Folders))
	for _, f := range s.cfg.Folders {
		out = append(out, f.Path)
	}
	sort.Strings(out)
	return out
}
