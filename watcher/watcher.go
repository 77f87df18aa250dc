package watcher

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options tunes a Watcher; zero values take the defaults.
type Options struct {
	Filter *Filter // DefaultIgnores when nil
	// Quiet is how long a path must stay still before it is reported (1s):
	// a burst of writes becomes one batch.
	Quiet time.Duration
	// MaxDelay bounds the wait for a path that never stays still (30s), so
	// a log that is always growing is still backed up regularly.
	MaxDelay time.Duration
	// MaxWatches caps the folders watched (0: as many as the system allows);
	// beyond it folders are scanned every FallbackScan instead.
	MaxWatches int
	// FallbackScan is how often folders that cannot be watched are rescanned (5min).
	FallbackScan time.Duration
	Logger       *slog.Logger
}

// Batch is what changed: paths to look at, and folders to rescan whole.
// Paths are slash-separated and relative to the root; "." is the root.
type Batch struct {
	Paths  []string
	Rescan []string
}

// Watcher watches one folder tree.
type Watcher struct {
	root    string
	opts    Options
	fsw     *fsnotify.Watcher // nil when the system gave no watcher at all
	log     *slog.Logger
	batches chan Batch
	notes   chan string
	done    chan struct{}
	wg      sync.WaitGroup

	// Owned by the loop goroutine (and Start, before it runs).
	watched   map[string]bool // rel folders with a watch
	unwatched map[string]bool // rel folders covered by periodic rescans
	paths     map[string]*pending
	rescans   map[string]*pending
	told      map[string]bool // warnings already given
	renamed   *pending        // the path of the last event, when it was a Rename
}

type pending struct{ first, last time.Time }

// errWatchLimit stands for the system's ENOSPC when Options.MaxWatches is reached.
var errWatchLimit = errors.New("watch limit reached")

// Start watches root and its subfolders until Close.
func Start(root string, opts Options) (*Watcher, error) {
	if opts.Quiet <= 0 {
		opts.Quiet = time.Second
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 30 * time.Second
	}
	if opts.FallbackScan <= 0 {
		opts.FallbackScan = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Filter == nil {
		opts.Filter = NewFilter()
	}
	w := &Watcher{
		root: root, opts: opts, log: opts.Logger,
		batches: make(chan Batch), notes: make(chan string, 8), done: make(chan struct{}),
		watched: map[string]bool{}, unwatched: map[string]bool{},
		paths: map[string]*pending{}, rescans: map[string]*pending{}, told: map[string]bool{},
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		// EMFILE: the per-user instance limit. Scanning still works.
		w.warn("instances", fmt.Sprintf("Kumo cannot watch %s for changes (%v): it will look for changes every %v instead. "+
			"Closing other programs that watch files, or raising fs.inotify.max_user_instances, lets Kumo react within seconds.",
			root, err, opts.FallbackScan))
		w.unwatched["."] = true
	} else {
		w.fsw = fsw
		w.addTree(".")
	}
	w.wg.Add(1)
	go w.loop()
	return w, nil
}

// Batches delivers what changed, once each path has settled.
func (w *Watcher) Batches() <-chan Batch { return w.batches }

// Notes delivers sentences for the user, each at most once.
func (w *Watcher) Notes() <-chan string { return w.notes }

// Close stops watching.
func (w *Watcher) Close() error {
	close(w.done)
	w.wg.Wait()
	if w.fsw != nil {
		return w.fsw.Close()
	}
	return nil
}

func (w *Watcher) warn(key, sentence string) {
	if w.told[key] {
		return
	}
	w.told[key] = true
	w.log.Warn(sentence)
	select {
	case w.notes <- sentence:
	default:
	}
}

// addTree watches rel and the folders below it, walking after each watch
// is added so nothing created in between goes unseen (the caller rescans).
func (w *Watcher) addTree(rel string) {
	start := filepath.Join(w.root, filepath.FromSlash(rel))
	_ = filepath.WalkDir(start, func(abs string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		r, _ := filepath.Rel(w.root, abs)
		r = filepath.ToSlash(r)
		if w.opts.Filter.Ignored(r, true) {
			return filepath.SkipDir
		}
		if w.watched[r] {
			return nil
		}
		if err := w.add(abs); err != nil {
			w.unwatched[r] = true
			if errors.Is(err, syscall.ENOSPC) || errors.Is(err, errWatchLimit) {
				w.warn("limit", watchLimitSentence(w.opts.FallbackScan))
			} else {
				w.log.Warn("cannot watch folder", "folder", r, "err", err)
			}
			return filepath.SkipDir // its subtree is covered by the periodic rescan
		}
		w.watched[r] = true
		return nil
	})
}

func (w *Watcher) add(abs string) error {
	if w.opts.MaxWatches > 0 && len(w.watched) >= w.opts.MaxWatches {
		return errWatchLimit
	}
	return w.fsw.Add(abs)
}

// watchLimitSentence explains the inotify limit with its current value and the fix.
func watchLimitSentence(every time.Duration) string {
	current := "unknown"
	if b, err := os.ReadFile("/proc/sys/fs/inotify/max_user_watches"); err == nil {
		current = strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("Kumo cannot watch every folder for changes: the system's limit of folder watches "+
		"(fs.inotify.max_user_watches = %s) is used up, so some folders are checked every %v instead of within seconds. "+
		"To watch them all, run: sudo sysctl fs.inotify.max_user_watches=524288 "+
		"(and add that line to /etc/sysctl.conf to keep it).", current, every)
}

func (w *Watcher) loop() {
	defer w.wg.Done()
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	fallback := time.NewTicker(w.opts.FallbackScan)
	defer fallback.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w.fsw != nil {
		events, errs = w.fsw.Events, w.fsw.Errors
	}
	for {
		select {
		case <-w.done:
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			w.handle(ev)
		case err, ok := <-errs:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.warn("overflow", "So many files changed at once that the system dropped change notices: "+
					"Kumo is rescanning the whole folder, so nothing is missed.")
				w.mark(w.rescans, ".")
			} else {
				w.log.Warn("watch error", "err", err)
			}
		case <-fallback.C:
			for r := range w.unwatched {
				w.mark(w.rescans, r)
			}
		case <-settle.C:
		}
		if b, next := w.due(time.Now()); len(b.Paths)+len(b.Rescan) > 0 {
			select {
			case w.batches <- b:
			case <-w.done:
				return
			}
			w.arm(settle, next)
		} else {
			w.arm(settle, next)
		}
	}
}

func (w *Watcher) arm(t *time.Timer, next time.Time) {
	t.Stop()
	if !next.IsZero() {
		t.Reset(max(time.Until(next), time.Millisecond))
	}
}

func (w *Watcher) mark(set map[string]*pending, rel string) *pending {
	now := time.Now()
	if p, ok := set[rel]; ok {
		p.last = now
		return p
	}
	p := &pending{first: now, last: now}
	set[rel] = p
	return p
}

// tie makes two pending paths settle at the same instant, so that no batch
// boundary can fall between them.
func tie(a, b *pending) {
	first, last := a.first, a.last
	if b.first.Before(first) {
		first = b.first
	}
	if b.last.After(last) {
		last = b.last
	}
	*a = pending{first: first, last: last}
	*b = *a
}

func (w *Watcher) handle(ev fsnotify.Event) {
	rel, err := filepath.Rel(w.root, ev.Name)
	if err != nil || strings.HasPrefix(rel, "..") {
		return
	}
	rel = filepath.ToSlash(rel)
	isDir := false
	if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) || ev.Has(fsnotify.Chmod) {
		if st, err := os.Lstat(ev.Name); err == nil {
			isDir = st.IsDir()
		}
	}
	if w.opts.Filter.Ignored(rel, isDir) {
		return
	}
	// The system reports a rename within the tree as a Rename of the old
	// name at once followed by a Create of the new one: the engine must see
	// both halves in one batch to move the file instead of uploading it.
	renamed := w.renamed
	w.renamed = nil
	var p *pending
	switch {
	case isDir && ev.Has(fsnotify.Create):
		// A new folder (made, or moved in): watch it, then rescan it, since
		// files may have landed in it before its watch existed.
		w.addTree(rel)
		p = w.mark(w.rescans, rel)
	case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
		if w.watched[rel] {
			w.forget(rel)
		}
		p = w.mark(w.paths, rel)
		if ev.Has(fsnotify.Rename) {
			w.renamed = p
		}
	default:
		p = w.mark(w.paths, rel)
	}
	if renamed != nil && ev.Has(fsnotify.Create) {
		tie(renamed, p)
	}
}

// forget drops the watches of a folder that was removed or moved away.
func (w *Watcher) forget(rel string) {
	for r := range w.watched {
		if r == rel || strings.HasPrefix(r, rel+"/") {
			_ = w.fsw.Remove(filepath.Join(w.root, filepath.FromSlash(r)))
			delete(w.watched, r)
		}
	}
}

// due takes what has settled (quiet long enough, or waited MaxDelay) and
// says when the next entry will.
func (w *Watcher) due(now time.Time) (Batch, time.Time) {
	var b Batch
	var next time.Time
	// Paths settling within a moment of each other go together: the two
	// halves of a rename must reach the engine in one batch.
	soon := now.Add(w.opts.Quiet / 4)
	take := func(set map[string]*pending, out *[]string) {
		for rel, p := range set {
			at := p.last.Add(w.opts.Quiet)
			if cap := p.first.Add(w.opts.MaxDelay); cap.Before(at) {
				at = cap
			}
			if !at.After(soon) {
				*out = append(*out, rel)
				delete(set, rel)
			} else if next.IsZero() || at.Before(next) {
				next = at
			}
		}
	}
	take(w.rescans, &b.Rescan)
	take(w.paths, &b.Paths)
	// A path inside a folder being rescanned is covered by the rescan.
	if len(b.Rescan) > 0 {
		kept := b.Paths[:0]
		for _, p := range b.Paths {
			if !under(p, b.Rescan) {
				kept = append(kept, p)
			}
		}
		b.Paths = kept
	}
	sort.Strings(b.Paths)
	sort.Strings(b.Rescan)
	return b, next
}

func under(p string, dirs []string) bool {
	for _, d := range dirs {
		if d == "." || p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}
