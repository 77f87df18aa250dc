package restore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kumo-backup/kumo/transport"
)

// Conflict says what to do when the destination already has a different file.
type Conflict int

const (
	// Skip keeps the existing file and does not restore that one.
	Skip Conflict = iota
	// Overwrite replaces the existing file with the restored one.
	Overwrite
	// KeepBoth restores beside it, as "name (from 2026-03-02 09.00).ext".
	KeepBoth
)

var conflictNames = map[Conflict]string{Skip: "skip", Overwrite: "overwrite", KeepBoth: "keep-both"}

func (c Conflict) String() string { return conflictNames[c] }

// ParseConflict reads "skip", "overwrite" or "keep-both".
func ParseConflict(s string) (Conflict, error) {
	for c, name := range conflictNames {
		if name == s {
			return c, nil
		}
	}
	return Skip, fmt.Errorf("unknown conflict policy %q: use skip, overwrite or keep-both", s)
}

// Options configures one restore.
type Options struct {
	To       string   // destination folder; created if missing
	Paths    []string // files and folders to restore; none means all
	Conflict Conflict
	// Rules are the names the destination accepts; nil finds out by trying
	// (DetectRules). Windows' own rules always apply on Windows.
	Rules *Rules
	// Explain and ListHeader word the list of renamings in the language
	// in use (English when unset).
	Explain    func(Why) string
	ListHeader string
	Workers    int // parallel downloads; 4 when zero
	// OnProgress receives snapshots while restoring and a last one with Done.
	OnProgress func(Progress)
	Logger     *slog.Logger
}

// Progress is how far a restore is.
type Progress struct {
	Files, FilesDone int
	Bytes, BytesDone int64
	Current          string // a file being restored
	Done             bool
}

// Summary is the outcome of a restore.
type Summary struct {
	To        string
	Restored  int    // files and links written
	Folders   int    // folders created that no file needed (empty ones)
	Bytes     int64  // bytes downloaded and written
	Unchanged int    // already there with the same content
	Renamed   []Note // kept beside a file already there
	// Renamings are names the destination could not hold as they were,
	// written under another; the list is also left in the destination, in
	// RenamingsFile (ListFile names it), so each can be undone.
	Renamings []Renaming
	ListFile  string
	Rules     Rules // what the destination was taken to accept
	Skipped   []Note
	Failed    []Note
	Refused   []Note // names the server gave that were not safe to write
	Duration  time.Duration
}

// Restore writes the selected files of the snapshot under opts.To. It never
// writes outside opts.To, never leaves a partial file (each file is written
// to a temporary name, checked, then renamed), and replaces an existing
// file only with Overwrite. The error is for what stopped the whole restore
// (cancelled, credentials refused, destination unusable); per-file problems
// are in the summary.
func (v *View) Restore(ctx context.Context, opts Options) (*Summary, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	to, err := filepath.Abs(opts.To)
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", opts.To, err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the destination folder: %w", err)
	}
	root, err := os.OpenRoot(to)
	if err != nil {
		return nil, fmt.Errorf("cannot open the destination folder: %w", err)
	}
	defer root.Close()

	rules, err := destinationRules(to, opts.Rules)
	if err != nil {
		return nil, err
	}
	sel := v.Select(opts.Paths)
	r := &run{view: v, root: root, opts: opts, log: log, sum: &Summary{To: to, Rules: rules}}
	r.names = planNames(rules, pathsOf(sel, v.SelectFolders(opts.Paths)))
	r.sum.Renamings = r.names.renamings
	r.sum.Refused = append(r.sum.Refused, v.Refused...)
	var files, links []File
	for _, f := range sel {
		if f.Link != "" {
			links = append(links, f)
		} else {
			files = append(files, f)
		}
	}
	r.total.files, r.total.bytes = Total(sel)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopProgress := r.reportProgress()
	forEach(ctx, opts.Workers, files, func(f File) {
		if err := r.file(ctx, f); err != nil {
			cancel(err) // stops the other workers too
		}
	})
	if ctx.Err() == nil {
		for _, f := range links {
			r.link(f)
		}
		for _, d := range v.SelectFolders(opts.Paths) {
			r.folder(d)
		}
	}
	stopProgress()
	if len(r.sum.Renamings) > 0 {
		if err := r.writeRenamings(); err != nil {
			r.note(&r.sum.Failed, RenamingsFile, "cannot write the list of renamed files: "+reason(err))
		}
	}
	r.sum.Duration = time.Since(start)
	log.Info("restore finished", "device", v.Device, "folder", v.Folder, "snapshot", v.Snapshot.Stamp, "to", to,
		"restored", r.sum.Restored, "folders", r.sum.Folders, "bytes", r.sum.Bytes, "skipped", len(r.sum.Skipped), "failed", len(r.sum.Failed),
		"refused", len(r.sum.Refused), "renamed", len(r.sum.Renamings), "rules", rules.String(), "took", r.sum.Duration)
	if err := context.Cause(ctx); err != nil {
		return r.sum, err
	}
	return r.sum, nil
}

// run is one restore in progress.
type run struct {
	view  *View
	root  *os.Root
	opts  Options
	log   *slog.Logger
	names *namePlan

	mu    sync.Mutex
	sum   *Summary
	total struct {
		files int
		bytes int64
	}
	filesDone atomic.Int64
	bytesDone atomic.Int64
	current   atomic.Value // string
}

func (r *run) note(list *[]Note, rel, reason string) {
	r.mu.Lock()
	*list = append(*list, Note{Path: rel, Reason: reason})
	r.mu.Unlock()
}

func (r *run) progress(done bool) Progress {
	cur, _ := r.current.Load().(string)
	return Progress{Files: r.total.files, FilesDone: int(r.filesDone.Load()), Bytes: r.total.bytes,
		BytesDone: r.bytesDone.Load(), Current: cur, Done: done}
}

// reportProgress sends a snapshot every 100 ms until stopped, then a last one.
func (r *run) reportProgress() (stop func()) {
	if r.opts.OnProgress == nil {
		return func() {}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				r.opts.OnProgress(r.progress(false))
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		r.opts.OnProgress(r.progress(true))
	}
}

// fatal reports whether an error concerns every file, not one: refused
// credentials, an untrusted server, a full destination disk.
func fatal(err error) bool {
	switch transport.Classify(err) {
	case transport.ClassAuth, transport.ClassSetup:
		return true
	}
	return errors.Is(err, errNoSpace)
}

// forEach runs fn over files with the given number of workers, until done
// or ctx ends.
func forEach(ctx context.Context, workers int, files []File, fn func(File)) {
	jobs := make(chan File)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for f := range jobs {
				fn(f)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	for _, f := range files {
		select {
		case jobs <- f:
		case <-ctx.Done():
			return
		}
	}
}
