// Package backup is Kumo's engine: the local index, the scanner, the worker
// pool, the remote layout with versions and catalogs, and retention. It
// never imports a UI toolkit: the same code runs under the desktop app and
// from the command line.
package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
	"github.com/kumo-backup/kumo/watcher"
)

// Remote is what the engine needs from a WebDAV area.
type Remote interface {
	// Mkdir creates one folder; an existing folder is not an error.
	Mkdir(ctx context.Context, remotePath string) error
	// Put uploads exactly size bytes in one request, replacing any file;
	// open is called again for each retry and must start from the beginning.
	Put(ctx context.Context, remotePath string, open transport.Body, size int64) error
	// PutNew is Put that answers transport.ErrExists instead of replacing.
	PutNew(ctx context.Context, remotePath string, open transport.Body, size int64) error
	// Move renames on the server; an existing destination is transport.ErrExists.
	Move(ctx context.Context, from, to string, overwrite bool) error
	Delete(ctx context.Context, remotePath string) error
	Get(ctx context.Context, remotePath string) (io.ReadCloser, error)
	Exists(ctx context.Context, remotePath string) (bool, error)
	List(ctx context.Context, dir string) ([]os.FileInfo, error)
}

// Options configures the engine for one local folder.
type Options struct {
	Root      string          // local folder to back up
	Filter    *watcher.Filter // what is left out; watcher.DefaultIgnores when nil
	Device    string          // this computer's name: the first path segment on the server
	Workers   int             // parallel uploads; when zero the remote's pacer decides (4 without one)
	IndexPath string          // the local index file; a throwaway one when empty
	Index     *Index          // an index already open (shared by engines); wins over IndexPath
	Retention Retention
	// Storage says how full the account is (the REST API, RFC 4331); the
	// remote's own Quota when nil.
	Storage QuotaReader
	Now     func() time.Time // time.Now when nil; tests inject a clock
	Logger  *slog.Logger
	// OnProgress receives snapshots while a pass runs, and a last one with Done.
	OnProgress func(Progress)
	// OnUploaded hears of each file the server confirmed, from the workers.
	OnUploaded func(rel string)
	// Key encrypts the folder (docs/encryption.md): contents in rclone's
	// crypt format, names with its suffix, and keyed content hashes. The
	// folder's marker must already be on the server (UnlockFolder).
	Key *crypt.Key
}

// FileError is one path that was not backed up, and why.
type FileError struct {
	Path string // relative to the backed-up folder
	Err  error
}

func (e FileError) Error() string { return e.Path + ": " + e.Err.Error() }

// Summary is the outcome of a pass.
type Summary struct {
	Remote  string // the folder on the server, relative to the area root
	Files   int64  // files uploaded
	Folders int64  // folders created
	// FoldersRemoved are folders gone from the disk taken out of the
	// server's current tree (their files are in the versions).
	FoldersRemoved int
	Bytes          int64  // bytes uploaded
	Moved          int64  // renames done with a server-side MOVE
	FoldersMoved   int    // folders renamed or moved with one MOVE each (their files are in Moved)
	Versioned      int64  // earlier contents kept as versions
	Unchanged      int64  // files already on the server
	Moment         string // the moment recorded on the server, if anything changed
	Record         string // the file that records it: a journal, or the folder's first checkpoint
	Pruned         int    // versions and catalogs removed by retention
	Duration       time.Duration
	Held           int64       // files left for later: larger than a metered connection's allowance
	Skipped        []FileError // left out on purpose (special files)
	Failed         []FileError // could not be backed up this time
}

// errHeld marks a file left for later because a hold covers it.
var errHeld = errors.New("held for later")

// ErrFolderMissing means the folder to back up is not there: perhaps its
// drive is not mounted. Its backups are left untouched.
var ErrFolderMissing = problem.New(problem.FolderMissing, nil, nil)

// ErrFolderUnmounted means the folder is empty and on another device than
// when it was last backed up: an unmounted drive's mount point, not a
// folder whose files were all deleted. Nothing is marked deleted.
var ErrFolderUnmounted = problem.New(problem.FolderUnmounted, nil, nil)

// ErrUnreachable stops a pass after several files in a row failed for
// reasons that may pass (network down, server failing): the rest would
// only fail the same way. The next pass tries again.
var ErrUnreachable = problem.New(problem.ServerUnreachable, nil, nil)

// unreachableAfter is how many files in a row may fail that way.
const unreachableAfter = 3

// Engine backs up one local folder to one remote folder.
type Engine struct {
	remote   Remote // the folder's files: through the encryption when there is a key
	raw      Remote // the server itself: its pacer and quota
	newHash  func() hash.Hash
	opts     Options
	folder   string        // remote folder, also the index's key for this folder
	folderAt format.Folder // where the folder's files, versions and catalogs are
	ix       *Index
	closeIx  bool   // the engine opened the index and closes it
	ownIx    string // throwaway index file to remove on Close
	gate     *gate
	filter   *watcher.Filter
	resumed  chan struct{} // tells a watching engine to rescan after a pause
	now      func() time.Time
	log      *slog.Logger
	// plainChecked: the server has no encryption marker for this keyless folder.
	plainChecked atomic.Bool
	plainMu      sync.Mutex // one question at a time
}

// New prepares an engine; Close releases its index.
func New(remote Remote, opts Options) (*Engine, error) {
	folder, err := format.RemoteFolder(opts.Device, opts.Root)
	if err != nil {
		return nil, err
	}
	opts.Workers = max(opts.Workers, 0)
	if opts.Retention == (Retention{}) {
		opts.Retention = DefaultRetention
	}
	e := &Engine{remote: remote, raw: remote, newHash: sha256.New, opts: opts, folder: folder, folderAt: format.FolderOf(folder), gate: newGate(),
		filter: opts.Filter, resumed: make(chan struct{}, 1), now: opts.Now, log: opts.Logger}
	if opts.Key != nil {
		enc := crypt.NewRemote(remote, opts.Key)
		e.remote, e.newHash = enc, enc.NewHash
	}
	if e.filter == nil {
		e.filter = watcher.NewFilter()
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if opts.Index != nil {
		e.ix = opts.Index
		return e, nil
	}
	path := opts.IndexPath
	if path == "" {
		dir, err := os.MkdirTemp("", "kumo-index-")
		if err != nil {
			return nil, err
		}
		path, e.ownIx = filepath.Join(dir, "index.db"), dir
	}
	if e.ix, err = OpenIndex(path); err != nil {
		return nil, err
	}
	e.closeIx = true
	return e, nil
}

// job is one file's work for a worker.
type job struct {
	rel  string
	size int64
	do   func(context.Context) error // the context carries the job's slot
}

// pacing is the remote's pacer (shared by every engine on the same client)
// and how many workers to keep ready for it.
func (e *Engine) pacing() (*transport.Pacer, int) {
	var pacer *transport.Pacer
	if p, ok := e.raw.(interface{ Pacer() *transport.Pacer }); ok {
		pacer = p.Pacer()
	} else {
		pacer = transport.NewPacer(max(e.opts.Workers, 4), 0, 0, nil)
	}
	if e.opts.Workers > 0 {
		return pacer, e.opts.Workers
	}
	return pacer, pacer.Workers()
}

// Close releases the index if the engine opened it.
func (e *Engine) Close() error {
	if !e.closeIx {
		return nil
	}
	err := e.ix.Close()
	if e.ownIx != "" {
		os.RemoveAll(e.ownIx)
	}
	return err
}

// Pause holds uploads (mid-file too) until Resume.
func (e *Engine) Pause() { e.SetHold(Hold{All: true}) }

// Resume lets a paused engine go on (a watching engine rescans then).
func (e *Engine) Resume() {
	e.SetHold(NoHold)
	e.Rescan()
}

// SetHold changes what uploads wait for. Uploads already under way that the
// hold covers wait mid-file; files it covers that have not started are left
// for later (Summary.Held); a watching engine rescans when a hold eases.
func (e *Engine) SetHold(h Hold) {
	if e.gate.set(h) {
		e.Rescan()
	}
}

// Rescan asks a watching engine for a full pass now ("Back up now").
func (e *Engine) Rescan() {
	select {
	case e.resumed <- struct{}{}:
	default:
	}
}

// Paused reports whether the engine is paused.
func (e *Engine) Paused() bool { return e.gate.isPaused() }

// RunOnce backs up opts.Root in one pass with a fresh engine.
func RunOnce(ctx context.Context, remote Remote, opts Options) (*Summary, error) {
	e, err := New(remote, opts)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return e.Pass(ctx)
}

// Pass compares the folder with the index and brings the server up to
// date: uploads, renames, versions of what changed or went away, a catalog
// when anything changed, and retention. A failing file is recorded in
// Summary.Failed and the rest go on; an error that concerns every file
// (refused password, full account, untrusted server) stops the pass.
func (e *Engine) Pass(ctx context.Context) (*Summary, error) {
	return e.pass(ctx, scope{all: true})
}

// Sync is a pass over only what a watcher reported.
func (e *Engine) Sync(ctx context.Context, b watcher.Batch) (*Summary, error) {
	return e.pass(ctx, scope{paths: b.Paths, dirs: b.Rescan})
}

func (e *Engine) pass(ctx context.Context, sc scope) (*Summary, error) {
	start := time.Now()
	sum := &Summary{Remote: e.folder}
	st, err := os.Stat(e.opts.Root)
	if err != nil || !st.IsDir() {
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("cannot read the folder to back up: %w", err)
		}
		return nil, fmt.Errorf("%s: %w", e.opts.Root, ErrFolderMissing)
	}
	if e.ix.Empty(e.folder) {
		if err := e.bootstrap(ctx); err != nil {
			if f := fatal(err); f != nil {
				return nil, f
			}
			return nil, fmt.Errorf("reading the last catalog from the server: %w", err)
		}
	}
	if err := e.checkMounted(st); err != nil {
		return nil, err
	}
	if err := e.settle(ctx); err != nil {
		if f := fatal(err); f != nil {
			return nil, f
		}
		return nil, fmt.Errorf("finishing the record of the last backup on the server: %w", err)
	}
	p, err := e.scan(ctx, sc)
	if err != nil {
		return nil, err
	}
	sum.Skipped, sum.Failed = p.skipped, p.failed

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := newIndexWriter(e.ix, e.folder)
	w.recorded = !e.hasHistory()
	r := &run{Engine: e, sum: sum, cancel: cancel, w: w, torn: map[string]bool{},
		track: newTracker(int64(len(p.uploads)), p.bytes)}
	r.dirs = newDirCache(e.remote, e.ix.HasDir, r.w.dir)
	stopProgress := r.reportProgress()

	for rel, en := range p.meta {
		r.w.put(rel, en)
	}
	// Folder moves come first, one at a time: what is queued below may
	// create, move or upload into the folders they move.
	for _, fm := range p.folderMoves {
		if e.gate.wait(ctx, 0) != nil || ctx.Err() != nil {
			break
		}
		r.moveFolder(ctx, fm, p)
	}
	if len(p.folderMoves) > 0 {
		p.dirs = slices.DeleteFunc(p.dirs, func(rel string) bool { return e.ix.HasDir(e.folderAt.Current(rel)) })
	}
	pacer, workers := e.pacing()
	jobs := make(chan job, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if e.gate.wait(ctx, 0) != nil || ctx.Err() != nil {
					continue // wait out a pause; a size hold is decided below
				}
				if e.gate.current().Holds(j.size) {
					r.finish(j.rel, errHeld)
					continue
				}
				if err := e.checkPlain(ctx); err != nil {
					r.cancel(err) // the pass ends with it, writing nothing
					continue
				}
				slot, err := pacer.Acquire(ctx, j.size)
				if err != nil {
					continue
				}
				r.finish(j.rel, j.do(transport.WithSlot(ctx, slot)))
				slot.Done()
			}
		}()
	}
	queue := func(rel string, size int64, do func(context.Context) error) {
		jobs <- job{rel: rel, size: size, do: do}
	}
	for _, rel := range p.dirs {
		queue(rel, 0, func(ctx context.Context) error { return r.dir(ctx, rel) })
	}
	for _, m := range p.moves {
		queue(m.to, 0, func(ctx context.Context) error { return r.move(ctx, m) })
	}
	for rel, en := range p.deletes {
		queue(rel, 0, func(ctx context.Context) error { return r.remove(ctx, rel, en) })
	}
	for _, u := range p.uploads {
		queue(u.rel, u.size, func(ctx context.Context) error { return r.upload(ctx, u.rel) })
	}
	close(jobs)
	wg.Wait()
	// Files that changed while they were read get one more try now, unless
	// they have grown past what a hold lets through: the try would wait
	// for the hold's end, and the pass with it.
	for _, rel := range r.takeRetries() {
		if ctx.Err() != nil {
			continue
		}
		if st, err := os.Lstat(filepath.Join(e.opts.Root, filepath.FromSlash(rel))); err == nil && e.gate.current().Holds(st.Size()) {
			r.finish(rel, errHeld)
			continue
		}
		r.finish(rel, r.upload(ctx, rel))
	}
	for _, rel := range r.takeRetries() {
		r.fail(rel, errors.New("the file kept changing while it was being uploaded; it will be backed up on the next pass"))
	}
	werr := r.w.close()
	stopProgress()
	sum.Unchanged = p.unchanged
	sum.Duration = time.Since(start)

	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return sum, cause
	}
	if ctx.Err() != nil {
		return sum, ctx.Err()
	}
	if werr != nil {
		return sum, fmt.Errorf("recording the backup in the local index: %w", werr)
	}
	if !e.hasHistory() || len(e.ix.Unjournaled(e.folder)) > 0 {
		if err := e.checkPlain(ctx); err != nil {
			return sum, err
		}
		if sum.Moment, sum.Record, err = e.record(ctx); err != nil {
			if f := fatal(err); f != nil {
				return sum, f
			}
			return sum, fmt.Errorf("recording the backup's moment on the server: %w", err)
		}
	}
	if sum.FoldersRemoved, err = e.removeGoneFolders(ctx, p, sc.all); err != nil {
		e.log.Warn("removing folders gone from the disk", "err", err) // the next full pass tries again
	}
	if sum.Pruned, err = e.prune(ctx); err != nil {
		e.log.Warn("retention", "err", err)
	}
	return sum, nil
}

// run is the state of one pass.
type run struct {
	*Engine
	sum     *Summary
	cancel  context.CancelCauseFunc
	w       *indexWriter
	track   *tracker
	dirs    *dirCache
	changed atomic.Int64
	// failing counts files in a row that failed with a temporary error.
	failing atomic.Int32
	refusal refusals

	mu      sync.Mutex
	retries []string
	torn    map[string]bool // paths whose server copy this pass left torn
}

// finish sorts a job's error: per-file, retry later, or fatal for the pass.
func (r *run) finish(rel string, err error) {
	switch {
	case err == nil:
		r.failing.Store(0)
		return
	case errors.Is(err, errChanged):
		r.mu.Lock()
		r.retries = append(r.retries, rel)
		r.mu.Unlock()
		return
	case errors.Is(err, errHeld):
		r.mu.Lock()
		r.sum.Held++
		r.mu.Unlock()
		return
	case errors.Is(err, errVanished):
		r.mu.Lock()
		r.sum.Skipped = append(r.sum.Skipped, FileError{rel, err})
		r.mu.Unlock()
		return
	}
	if f := fatal(err); f != nil {
		r.cancel(f)
		return
	}
	if problem.KindOf(err) == problem.ServerUnreachable { // decided already (a server failing every request)
		r.cancel(err)
		return
	}
	var refused refusedWrite
	if transport.Classify(err) == transport.ClassRetry && !errors.As(err, &refused) && r.failing.Add(1) >= unreachableAfter {
		r.cancel(problem.New(problem.ServerUnreachable, nil, err))
		return
	}
	r.fail(rel, err)
}

// fatal is the problem of an error that concerns every file, or nil for one
// that concerns a single file.
func fatal(err error) error {
	if p, ok := problem.As(err); ok && p.Class() != transport.ClassFile && p.Class() != transport.ClassRetry {
		return err // already a problem that concerns every file
	}
	switch transport.Classify(err) {
	case transport.ClassAuth:
		return problem.New(problem.PasswordRefused, nil, err)
	case transport.ClassQuota:
		return problem.New(problem.QuotaFullPaused, nil, err)
	case transport.ClassSetup:
		return problem.New(problem.NoSecureConnection, nil, err)
	}
	return nil
}

func (r *run) fail(rel string, err error) {
	r.log.Warn("not backed up", "path", rel, "err", err)
	r.track.errors.Add(1)
	r.mu.Lock()
	r.sum.Failed = append(r.sum.Failed, FileError{rel, err})
	r.mu.Unlock()
}

func (r *run) takeRetries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.retries
	r.retries = nil
	return out
}

// reportProgress sends snapshots every half second until stopped.
func (r *run) reportProgress() (stop func()) {
	if r.opts.OnProgress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.opts.OnProgress(r.track.snapshot(r.gate.isPaused()))
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		last := r.track.snapshot(false)
		last.Done = true
		r.opts.OnProgress(last)
	}
}

// checkPlain refuses, once per engine and before its first write, to back
// up without a key into a folder that is encrypted on the server (its
// config lost the setting, or another computer set it up): plain files
// would sit among encrypted ones. It asks when something is about to be
// sent, so a hold or a pass with nothing to send costs no request.
func (e *Engine) checkPlain(ctx context.Context) error {
	if e.opts.Key != nil || e.plainChecked.Load() {
		return nil
	}
	e.plainMu.Lock()
	defer e.plainMu.Unlock()
	if e.plainChecked.Load() {
		return nil // another worker asked meanwhile
	}
	m, err := format.ReadMarker(ctx, e.raw, e.folderAt)
	if err != nil {
		if f := fatal(err); f != nil {
			return f
		}
		return fmt.Errorf("checking whether the folder is encrypted on the server: %w", err)
	}
	if m != nil {
		return &format.LockedError{Folder: e.folderAt}
	}
	e.plainChecked.Store(true)
	return nil
}

// checkMounted refuses a folder that looks like an unmounted drive's empty
// mount point, and otherwise remembers the device it is on.
func (e *Engine) checkMounted(st fs.FileInfo) error {
	dev, moved, unmounted := e.mountState(st)
	switch {
	case unmounted:
		return fmt.Errorf("%s: %w", e.opts.Root, ErrFolderUnmounted)
	case moved:
		return e.ix.SetMeta(e.folder, "device", dev)
	}
	return nil
}

// mountState says which device the folder (st) is on, whether that is not
// the device of its last pass, and whether it then looks unmounted: empty,
// while its backup holds files.
func (e *Engine) mountState(st fs.FileInfo) (dev string, moved, unmounted bool) {
	dev = strconv.FormatUint(device(st), 10)
	if dev == e.ix.Meta(e.folder, "device") {
		return dev, false, false
	}
	return dev, true, !e.ix.Empty(e.folder) && emptyDir(e.opts.Root)
}

func emptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(1)
	return len(names) == 0
}
