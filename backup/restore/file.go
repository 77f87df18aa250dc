package restore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// folder recreates a recorded folder, so that empty ones come back too.
func (r *run) folder(d File) {
	final := filepath.FromSlash(r.names.written(d.Path))
	if st, err := r.root.Lstat(final); err == nil {
		if !st.IsDir() {
			r.note(&r.sum.Failed, d.Path, "a file of that name is in the way of this folder; it was left as it is")
		}
		return
	}
	perm := d.Mode.Perm()
	if perm&0o700 != 0o700 { // a folder its owner could not use is no restore
		perm = 0o755
	}
	if err := r.root.MkdirAll(final, perm); err != nil {
		r.note(&r.sum.Failed, d.Path, "cannot create this folder: "+reason(err))
		return
	}
	r.mu.Lock()
	r.sum.Folders++
	r.mu.Unlock()
}

// file restores one regular file. Problems with that file go to the
// summary; the error is only for what must stop the whole restore.
func (r *run) file(ctx context.Context, f File) error {
	r.current.Store(f.Path)
	defer r.filesDone.Add(1)
	final := filepath.FromSlash(r.names.written(f.Path))
	if existing, err := r.root.Lstat(final); err == nil {
		switch {
		case existing.IsDir():
			r.note(&r.sum.Failed, f.Path, "a folder of that name is in the way; it was left as it is")
			r.bytesDone.Add(f.Size)
			return nil
		case existing.Mode().IsRegular() && existing.Size() == f.Size && r.sameContent(final, f.SHA256):
			r.mu.Lock()
			r.sum.Unchanged++
			r.mu.Unlock()
			r.bytesDone.Add(f.Size)
			return nil
		case r.opts.Conflict == Skip:
			r.note(&r.sum.Skipped, f.Path, "a different file is already there and was kept (choose overwrite or keep both to restore this one)")
			r.bytesDone.Add(f.Size)
			return nil
		case r.opts.Conflict == KeepBoth:
			final = r.freeName(final)
			r.note(&r.sum.Renamed, f.Path, "restored as "+filepath.ToSlash(final)+" beside the file already there")
		}
	}
	if dir := filepath.Dir(final); dir != "." {
		if err := r.root.MkdirAll(dir, 0o755); errors.Is(err, errNoSpace) {
			return errDiskFull
		} else if err != nil {
			r.note(&r.sum.Failed, f.Path, "cannot create its folder: "+reason(err))
			r.bytesDone.Add(f.Size)
			return nil
		}
	}
	var lastErr error
	err := r.view.locate(ctx, f, func(remote string) (bool, error) {
		done, err := r.download(ctx, remote, final, f)
		if err != nil && !done {
			lastErr = err
			if ctx.Err() != nil || fatal(err) {
				return true, err // no other copy would fare better
			}
			return false, nil
		}
		return done, err
	})
	switch {
	case err == nil:
		r.mu.Lock()
		r.sum.Restored++
		r.sum.Bytes += f.Size
		r.mu.Unlock()
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, errNoSpace):
		return errDiskFull
	case fatal(err):
		return err
	case errors.Is(err, errNoCopy) && lastErr != nil && !isNotFound(lastErr):
		err = lastErr // say why the copy found was not usable
	}
	r.note(&r.sum.Failed, f.Path, reason(err))
	return nil
}

// errLocal marks a failure writing the destination, not reading the server.
type errLocal struct{ err error }

func (e errLocal) Error() string { return "writing the restored file: " + e.err.Error() }
func (e errLocal) Unwrap() error { return e.err }

// download fetches remote into a temporary file beside final, checks its
// size and SHA-256 against the catalog, and only then renames it into place
// with the file's times and permissions. done is false when this copy was
// not the right one (missing, wrong bytes) and another may be tried.
func (r *run) download(ctx context.Context, remote, final string, f File) (done bool, err error) {
	tmp := filepath.Join(filepath.Dir(final), ".kumo-restore-"+randomHex(6)+".part")
	out, err := r.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return true, errLocal{err}
	}
	keep := false
	defer func() {
		if !keep {
			out.Close()
			if r.root.Remove(tmp) != nil {
				// Windows before 10 1709 and Wine lack the delete os.Root
				// uses; the name is our own random one, made just now.
				_ = os.Remove(filepath.Join(r.root.Name(), tmp))
			}
		}
	}()
	h := r.view.newHash()
	if f.Size > 0 || (f.SHA256 != "" && f.SHA256 != r.view.emptySum) {
		body, err := r.view.remote.Get(ctx, remote)
		if err != nil {
			return false, err
		}
		n, err := copyChecked(out, io.TeeReader(io.LimitReader(body, f.Size+1), h), &r.bytesDone)
		body.Close()
		if err != nil {
			return false, err
		}
		if n != f.Size {
			r.bytesDone.Add(-n)
			if n > f.Size {
				return false, fmt.Errorf("the server's copy is larger than the %d bytes the catalog gives (damaged or changed on the server)", f.Size)
			}
			return false, fmt.Errorf("the server's copy has %d bytes, the catalog gives %d (damaged or changed on the server)", n, f.Size)
		}
	}
	if sum := hex.EncodeToString(h.Sum(nil)); f.SHA256 != "" && sum != f.SHA256 {
		r.bytesDone.Add(-f.Size)
		return false, fmt.Errorf("the server's copy does not match its recorded content hash (damaged or changed on the server)")
	}
	perm := f.Mode.Perm()
	if perm == 0 {
		perm = 0o644
	}
	if err := out.Chmod(perm); err != nil {
		return true, errLocal{err}
	}
	if err := out.Sync(); err != nil {
		return true, errLocal{err}
	}
	if err := out.Close(); err != nil {
		return true, errLocal{err}
	}
	if err := r.root.Chtimes(tmp, f.MTime, f.MTime); err != nil {
		return true, errLocal{err}
	}
	if r.opts.Conflict != Overwrite {
		if _, err := r.root.Lstat(final); err == nil {
			return true, errLocal{fmt.Errorf("%s appeared while it was being restored; it was kept", filepath.ToSlash(final))}
		}
	}
	if err := r.root.Rename(tmp, final); err != nil {
		return true, errLocal{err}
	}
	keep = true
	return true, nil
}

// copyChecked copies src to dst, counting bytes as they are written; a
// write failure (a full disk) is a local error.
func copyChecked(dst io.Writer, src io.Reader, count interface{ Add(int64) int64 }) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return n, errLocal{werr}
			}
			n += int64(k)
			count.Add(int64(k))
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// sameContent reports whether the local file rel already has the content.
func (r *run) sameContent(rel, sum string) bool {
	if sum == "" {
		return false
	}
	in, err := r.root.Open(rel)
	if err != nil {
		return false
	}
	defer in.Close()
	h := r.view.newHash()
	if _, err := io.Copy(h, in); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == sum
}

// freeName finds a name beside rel for a second copy, saying which moment it is from.
func (r *run) freeName(rel string) string {
	ext := filepath.Ext(rel)
	stem := strings.TrimSuffix(rel, ext)
	when := r.view.Snapshot.Time.Local().Format("2006-01-02 15.04")
	for i := 1; ; i++ {
		suffix := " (from " + when + ")"
		if i > 1 {
			suffix = fmt.Sprintf(" (from %s, %d)", when, i)
		}
		name := stem + suffix + ext
		if _, err := r.root.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
	}
}

// link restores a symbolic link whose target stays inside the destination.
func (r *run) link(f File) {
	r.current.Store(f.Path)
	defer r.filesDone.Add(1)
	if err := CheckLink(f.Path, f.Link); err != nil {
		r.note(&r.sum.Refused, f.Path, err.Error())
		return
	}
	final := filepath.FromSlash(r.names.written(f.Path))
	if existing, err := r.root.Lstat(final); err == nil {
		if existing.Mode()&fs.ModeSymlink != 0 {
			if target, err := r.root.Readlink(final); err == nil && target == filepath.FromSlash(f.Link) {
				r.mu.Lock()
				r.sum.Unchanged++
				r.mu.Unlock()
				return
			}
		}
		if r.opts.Conflict != Overwrite || existing.IsDir() {
			r.note(&r.sum.Skipped, f.Path, "something else is already there and was kept")
			return
		}
		if err := r.root.Remove(final); err != nil {
			r.note(&r.sum.Failed, f.Path, reason(err))
			return
		}
	}
	if dir := filepath.Dir(final); dir != "." {
		if err := r.root.MkdirAll(dir, 0o755); err != nil {
			r.note(&r.sum.Failed, f.Path, "cannot create its folder: "+reason(err))
			return
		}
	}
	if err := r.root.Symlink(filepath.FromSlash(f.Link), final); err != nil {
		r.note(&r.sum.Failed, f.Path, "cannot create the link: "+reason(err))
		return
	}
	r.mu.Lock()
	r.sum.Restored++
	r.mu.Unlock()
}

// reason turns an error into the clause a summary shows.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if strings.Contains(pe.Err.Error(), "escapes from parent") || strings.Contains(pe.Err.Error(), "path escapes") {
			return "it would be written outside the destination (through a link), so it was not"
		}
		if errors.Is(pe.Err, errNoSpace) {
			return "the disk is full: free some space and restore again"
		}
		return pe.Err.Error()
	}
	if errors.Is(err, errNoSpace) {
		return "the disk is full: free some space and restore again"
	}
	return err.Error()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errNoSpace is a full disk; it stops the restore, as every file would fail.
var errNoSpace error = syscall.ENOSPC

var errDiskFull = errors.New("the destination disk is full: free some space and restore again (the files already restored are complete)")
