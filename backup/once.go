// Package backup is Kumo's engine. It never imports a UI toolkit: the same
// code runs under the desktop app and from the command line.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kumo-backup/kumo/transport"
)

// Remote is what the engine needs from a WebDAV area.
type Remote interface {
	// Mkdir creates one folder; an existing folder is not an error.
	Mkdir(ctx context.Context, remotePath string) error
	// Put uploads exactly size bytes in one request; open is called again
	// for each retry and must start from the beginning.
	Put(ctx context.Context, remotePath string, open transport.Body, size int64) error
}

// Options configures one backup pass over one folder.
type Options struct {
	Root    string // local folder to back up
	Device  string // this computer's name: the first path segment on the server
	Workers int    // parallel uploads; 4 when zero
	Logger  *slog.Logger
}

// FileError is one path that was not backed up, and why.
type FileError struct {
	Path string // relative to the backed-up folder
	Err  error
}

func (e FileError) Error() string { return e.Path + ": " + e.Err.Error() }

// Summary is the outcome of a pass.
type Summary struct {
	Remote   string // the folder on the server, relative to the area root
	Files    int64  // files uploaded
	Folders  int64  // folders created or confirmed
	Bytes    int64  // bytes uploaded
	Duration time.Duration
	Skipped  []FileError // left out on purpose (symbolic links, devices)
	Failed   []FileError // could not be backed up
}

type job struct {
	rel   string // slash-separated, relative to Root
	isDir bool
}

// RunOnce uploads every file under opts.Root. A failing file is recorded in
// Summary.Failed and the rest go on; an error that concerns every file
// (refused password, full account) stops the pass and is returned.
func RunOnce(ctx context.Context, remote Remote, opts Options) (*Summary, error) {
	start := time.Now()
	folder, err := RemoteFolder(opts.Device, opts.Root)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(opts.Root); err != nil {
		return nil, fmt.Errorf("cannot read the folder to back up: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", opts.Root)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 4
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &run{
		remote: remote,
		root:   opts.Root,
		folder: folder,
		dirs:   newDirCache(remote),
		log:    log,
		cancel: cancel,
	}
	jobs := make(chan job, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain so the walker never blocks
				}
				r.do(ctx, j)
			}
		}()
	}
	walkErr := r.walk(ctx, jobs)
	close(jobs)
	wg.Wait()

	sum := &Summary{
		Remote:   folder,
		Files:    r.files.Load(),
		Folders:  r.folders.Load(),
		Bytes:    r.bytes.Load(),
		Duration: time.Since(start),
		Skipped:  r.skipped,
		Failed:   r.failed,
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return sum, cause
	}
	if walkErr != nil {
		return sum, walkErr
	}
	return sum, ctx.Err()
}

type run struct {
	remote Remote
	root   string
	folder string
	dirs   *dirCache
	log    *slog.Logger
	cancel context.CancelCauseFunc

	files, folders, bytes atomic.Int64

	mu      sync.Mutex
	skipped []FileError
	failed  []FileError
}

func (r *run) walk(ctx context.Context, jobs chan<- job) error {
	return filepath.WalkDir(r.root, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return filepath.SkipAll
		}
		rel, relErr := filepath.Rel(r.root, p)
		if relErr != nil {
			return relErr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			if rel == "." {
				return err
			}
			r.fail(rel, err)
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch t := d.Type(); {
		case t.IsDir():
			jobs <- job{rel: rel, isDir: true}
		case t.IsRegular():
			jobs <- job{rel: rel}
		case t&fs.ModeSymlink != 0:
			r.skip(rel, errors.New("symbolic link, not followed"))
		default:
			r.skip(rel, fmt.Errorf("special file (%s), not backed up", t.Type()))
		}
		return nil
	})
}

func (r *run) remotePath(rel string) string {
	if rel == "." {
		return r.folder
	}
	return path.Join(r.folder, rel)
}

func (r *run) do(ctx context.Context, j job) {
	var err error
	if j.isDir {
		if err = r.dirs.ensure(ctx, r.remotePath(j.rel)); err == nil {
			r.folders.Add(1)
		}
	} else {
		err = r.upload(ctx, j.rel)
	}
	if err == nil {
		return
	}
	switch transport.Classify(err) {
	case transport.ClassAuth:
		r.cancel(fmt.Errorf("the server refused the user name or password: %w", err))
	case transport.ClassQuota:
		r.cancel(fmt.Errorf("the account is full; free space or upgrade the plan, then back up again: %w", err))
	case transport.ClassSetup:
		r.cancel(fmt.Errorf("cannot connect securely to the server: %w", err))
	default:
		r.fail(j.rel, err)
	}
}

// upload streams one file, hashing it on the way, and checks it did not
// change while it was read.
func (r *run) upload(ctx context.Context, rel string) error {
	remote := r.remotePath(rel)
	if err := r.dirs.ensure(ctx, path.Dir(remote)); err != nil {
		return err
	}
	local := filepath.Join(r.root, filepath.FromSlash(rel))
	before, err := os.Lstat(local)
	if err != nil {
		return err
	}
	// Each try reads the file afresh; body is the try that got through.
	var body *hashingReader
	open := func() (io.ReadCloser, error) {
		f, err := os.Open(local)
		if err != nil {
			return nil, err
		}
		body = &hashingReader{f: f, h: sha256.New()}
		return body, nil
	}
	if err := r.remote.Put(ctx, remote, open, before.Size()); err != nil {
		return err
	}
	after, err := os.Lstat(local)
	if err != nil {
		return err
	}
	if before.Size() > 0 && body == nil {
		return errors.New("the upload finished without reading the file")
	}
	sent := int64(0)
	if body != nil {
		sent = body.n
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) || sent != before.Size() {
		return errors.New("the file changed while it was being uploaded; it will be backed up again on the next pass")
	}
	r.files.Add(1)
	r.bytes.Add(sent)
	if body != nil {
		r.log.Debug("uploaded", "path", rel, "size", sent, "sha256", hex.EncodeToString(body.h.Sum(nil)))
	}
	return nil
}

func (r *run) fail(rel string, err error) {
	r.log.Warn("not backed up", "path", rel, "err", err)
	r.mu.Lock()
	r.failed = append(r.failed, FileError{Path: rel, Err: err})
	r.mu.Unlock()
}

func (r *run) skip(rel string, err error) {
	r.mu.Lock()
	r.skipped = append(r.skipped, FileError{Path: rel, Err: err})
	r.mu.Unlock()
}

// hashingReader hashes and counts a file's bytes as they are uploaded.
type hashingReader struct {
	f *os.File
	h hash.Hash
	n int64
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.f.Read(p)
	hr.h.Write(p[:n])
	hr.n += int64(n)
	return n, err
}

func (hr *hashingReader) Close() error { return hr.f.Close() }
