package backup

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/transport"
)

var errChanged = transport.ErrSourceChanged

func isNotFound(err error) bool {
	var se *transport.StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

// unknownSince labels server content whose upload time Kumo never knew.
var unknownSince = format.Stamp(time.Unix(0, 0))

func (r *run) dir(ctx context.Context, rel string) error {
	if err := r.dirs.ensure(ctx, r.folderAt.Current(rel)); err != nil {
		return err
	}
	r.count(func(s *Summary) { s.Folders++ })
	return nil
}

// upload sends a new or changed file. A server copy it replaces is first
// kept as a version by a server-side MOVE.
func (r *run) upload(ctx context.Context, rel string) error {
	local := filepath.Join(r.opts.Root, filepath.FromSlash(rel))
	before, err := os.Lstat(local)
	if errors.Is(err, os.ErrNotExist) {
		return errVanished
	}
	if err != nil {
		return err
	}
	if !before.Mode().IsRegular() {
		return errVanished // replaced by something else; the next pass sees what
	}
	remote := r.folderAt.Current(rel)
	if err := r.dirs.ensure(ctx, path.Dir(remote)); err != nil {
		return err
	}
	old, known := r.ix.Get(r.folder, rel)
	torn := r.isTorn(rel) // this pass already put a torn copy there: replace it
	// A damaged server copy is replaced, not kept as a version: it holds
	// nothing anyone could restore.
	if known && !old.Vacated && old.Link == "" && !old.isDir() && !torn && !old.Damaged {
		if err := r.vacate(ctx, rel, old); err != nil {
			return err
		}
	}

	r.track.begin(rel)
	defer r.track.end(rel)
	var body *hashingReader
	open := func() (io.ReadCloser, error) {
		f, err := openLocal(local)
		if err != nil {
			return nil, err
		}
		if body != nil { // a retry: forget what the failed try counted
			r.track.bytesDone.Add(-body.n)
		}
		body = &hashingReader{f: f, h: r.newHash(), ctx: ctx, run: r, limit: before.Size()}
		return body, nil
	}
	put := r.remote.Put
	if !known && !torn {
		put = r.remote.PutNew // never replace a server copy the index does not know
	}
	err = put(ctx, remote, open, before.Size())
	if errors.Is(err, errChanged) {
		r.markTorn(rel)
		return errChanged
	}
	var landed []byte // the hash, when the server already holds these bytes
	if errors.Is(err, transport.ErrExists) {
		// A copy the index does not know: often this very upload, sent by
		// a try whose answer was lost. Only different content is kept aside.
		if landed = r.sameOnServer(ctx, remote, local, before.Size()); landed != nil {
			err = nil
		} else if err = r.vacateUnknown(ctx, rel); err == nil {
			err = r.remote.Put(ctx, remote, open, before.Size())
		}
	}
	if err != nil {
		return r.refused(ctx, before.Size(), err)
	}
	r.refusal.uploaded()
	after, err := os.Lstat(local)
	sent, sum := int64(0), landed
	if landed != nil {
		sent = before.Size()
	} else if body != nil {
		sent, sum = body.n, body.sum()
	}
	if err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) || sent != before.Size() {
		r.markTorn(rel)
		return errChanged // the torn copy is never recorded as good
	}
	en := localEntry(before)
	en.SHA256 = hex.EncodeToString(sum)
	en.Since = format.Stamp(r.now())
	if known && old.Damaged && old.SHA256 == en.SHA256 {
		en.Since = old.Since // a repair: the history's moments still name this copy
	}
	r.w.put(rel, en)
	r.track.filesDone.Add(1)
	r.changed.Add(1)
	r.count(func(s *Summary) { s.Files++; s.Bytes += sent })
	r.log.Debug("uploaded", "path", rel, "size", sent, "sha256", en.SHA256)
	if r.opts.OnUploaded != nil {
		r.opts.OnUploaded(rel)
	}
	return nil
}

// vacate moves the server's current copy of rel into its versions. The
// version's name is written to the index (synced) before the MOVE, so after
// a crash the same name is used and no content is moved twice.
func (r *run) vacate(ctx context.Context, rel string, old Entry) error {
	name := old.Pending
	if name == "" {
		name = r.folderAt.Version(rel, old.Since, format.Stamp(r.now()))
		old.Pending = name
		if err := r.ix.Put(r.folder, rel, old); err != nil {
			return fmt.Errorf("recording the version about to be made: %w", err)
		}
	} else if done, err := r.remote.Exists(ctx, name); err != nil {
		return err
	} else if done {
		return r.vacated(rel, old, name)
	}
	if err := r.dirs.ensure(ctx, path.Dir(name)); err != nil {
		return err
	}
	err := r.remote.Move(ctx, r.folderAt.Current(rel), name, false)
	switch {
	case err == nil:
	case isNotFound(err):
		// No current copy to keep (removed on the server by someone): nothing is lost.
		old.Pending = ""
		old.Vacated = true
		r.w.put(rel, old)
		return nil
	default:
		return err
	}
	return r.vacated(rel, old, name)
}

func (r *run) vacated(rel string, old Entry, name string) error {
	_, superseded, _ := format.ParseVersionName(path.Base(name))
	old.Pending, old.Vacated = "", true
	r.w.put(rel, old)
	r.w.version(name, superseded)
	r.changed.Add(1)
	r.count(func(s *Summary) { s.Versioned++ })
	return nil
}

// vacateUnknown keeps a server copy the index never knew (an earlier
// install, a lost index) as a version before it is replaced.
func (r *run) vacateUnknown(ctx context.Context, rel string) error {
	return r.vacate(ctx, rel, Entry{Since: unknownSince})
}

// move renames a file on the server instead of uploading it again.
func (r *run) move(ctx context.Context, m move) error {
	to := r.folderAt.Current(m.to)
	if err := r.dirs.ensure(ctx, path.Dir(to)); err != nil {
		return err
	}
	from := r.folderAt.Current(m.from)
	err := r.remote.Move(ctx, from, to, false)
	if errors.Is(err, transport.ErrExists) && r.moveLanded(ctx, from, to, m.entry.Size) {
		err = nil // an earlier try moved it, and its answer was lost
	}
	if errors.Is(err, transport.ErrExists) || isNotFound(err) {
		// The server is not as the index says: fall back to the plain way.
		old, _ := r.ix.Get(r.folder, m.from)
		if err := r.remove(ctx, m.from, old); err != nil {
			return err
		}
		return r.upload(ctx, m.to)
	}
	if err != nil {
		return err
	}
	r.w.del(m.from)
	r.w.put(m.to, m.entry)
	r.changed.Add(1)
	r.count(func(s *Summary) { s.Moved++ })
	return nil
}

// sameOnServer returns the SHA-256 of the local file when the server's copy
// at remote has exactly its bytes, or nil.
func (r *run) sameOnServer(ctx context.Context, remote, local string, size int64) []byte {
	mine, err := r.hashLocal(ctx, local, nil)
	if err != nil {
		return nil
	}
	theirs, n, err := r.hashRemote(ctx, remote, size, nil)
	if err != nil || n != size || theirs != mine {
		return nil
	}
	sum, _ := hex.DecodeString(mine)
	return sum
}

// moveLanded reports whether a MOVE whose answer never came did happen:
// the source is gone and the destination has the expected size.
func (r *run) moveLanded(ctx context.Context, from, to string, size int64) bool {
	if stillThere, err := r.remote.Exists(ctx, from); err != nil || stillThere {
		return false
	}
	list, err := r.remote.List(ctx, path.Dir(to))
	if err != nil {
		return false
	}
	for _, fi := range list {
		if fi.Name() == path.Base(to) {
			return !fi.IsDir() && fi.Size() == size
		}
	}
	return false
}

// remove handles a file deleted from the disk: its last content becomes a
// version, kept on the server until retention ends, never deleted outright.
func (r *run) remove(ctx context.Context, rel string, old Entry) error {
	if old.Link == "" && !old.Vacated && !old.isDir() {
		if err := r.vacate(ctx, rel, old); err != nil {
			return err
		}
	}
	r.w.del(rel)
	r.changed.Add(1)
	return nil
}

func (r *run) markTorn(rel string) {
	r.mu.Lock()
	r.torn[rel] = true
	r.mu.Unlock()
}

func (r *run) isTorn(rel string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.torn[rel]
}

func (r *run) count(fn func(*Summary)) {
	r.mu.Lock()
	fn(r.sum)
	r.mu.Unlock()
}

// hashingReader hashes and counts a file's bytes as they are uploaded, stops
// at the size announced in Content-Length (growth is caught by the stat
// after the upload), and holds while the engine is paused.
type hashingReader struct {
	f     *os.File
	h     hash.Hash
	n     int64
	limit int64
	ctx   context.Context
	run   *run
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	if err := hr.run.gate.wait(hr.ctx, hr.limit); err != nil {
		return 0, err
	}
	if hr.n >= hr.limit {
		return 0, io.EOF
	}
	if rest := hr.limit - hr.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := hr.f.Read(p)
	hr.h.Write(p[:n])
	hr.n += int64(n)
	hr.run.track.bytesDone.Add(int64(n))
	if err == io.EOF && hr.n < hr.limit {
		err = errChanged // the file shrank
	}
	return n, err
}

func (hr *hashingReader) Close() error { return hr.f.Close() }
func (hr *hashingReader) sum() []byte  { return hr.h.Sum(nil) }
