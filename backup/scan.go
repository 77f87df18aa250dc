package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/kumo-backup/kumo/backup/format"
)

// plan is what a pass must do, worked out from metadata alone (plus hashes
// where metadata says a file may or may not have changed).
type plan struct {
	dirs    []string         // local folders whose remote folder is not known to exist
	uploads []upload         // new or changed files
	meta    map[string]Entry // changes without new content: touched files, symbolic links
	moves   []move           // files renamed or moved within the folder
	// folderMoves are folders renamed or moved as a whole: one MOVE each.
	folderMoves []folderMove
	deletes     map[string]Entry // files gone from the disk
	skipped     []FileError
	failed      []FileError
	bytes       int64 // to upload
	unchanged   int64 // files the server already has
	// Full scans: every folder on the disk, and those kept as they are
	// (left out, unreadable), to find the folders gone from the disk.
	localDirs map[string]bool
	keptDirs  []string
}

type upload struct {
	rel  string
	size int64 // as scanned: the pacer keeps large files few
}

type move struct {
	from, to string
	entry    Entry // the new metadata, with the moved content's SHA256 and Since
}

// localEntry describes a file's metadata as the index stores it.
func localEntry(info fs.FileInfo) Entry {
	return Entry{Size: info.Size(), MTime: info.ModTime().UnixNano(), Mode: uint32(info.Mode()), Inode: inode(info)}
}

// scope is what a pass looks at: everything, or the paths a watcher
// reported and the folders it asked to rescan.
type scope struct {
	all   bool
	paths []string
	dirs  []string
}

type newFile struct {
	rel   string
	entry Entry
}

// scanner builds a plan; one visit function serves full and scoped scans.
// A full scan holds no copy of the index: it looks entries up one by one
// and remembers what it saw as 8-byte hashes, so its memory stays small
// for a million files; a scoped scan loads the few entries in scope.
type scanner struct {
	e       *Engine
	all     bool // a full pass: every index entry is in scope
	first   bool // the folder's index is empty: every file is new
	p       *plan
	index   map[string]Entry // scoped scans: the index entries in scope
	seen    seenSet
	dirs    map[string]bool
	fresh   []newFile
	newDirs []newFile // folders the index does not know yet (a renamed one among them)
}

// seenSet remembers paths by a 64-bit hash: a collision could only keep
// a deleted file's entry one more pass, with odds far below a disk error.
type seenSet map[uint64]struct{}

func pathHash(rel string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(rel))
	return h.Sum64()
}

func (s seenSet) add(rel string)      { s[pathHash(rel)] = struct{}{} }
func (s seenSet) has(rel string) bool { _, ok := s[pathHash(rel)]; return ok }

// lookup is the index entry of rel.
func (s *scanner) lookup(rel string) (Entry, bool) {
	if s.all {
		if s.first {
			return Entry{}, false
		}
		return s.e.ix.Get(s.e.folder, rel)
	}
	en, ok := s.index[rel]
	return en, ok
}

// scan compares the folder (or the part in scope) with the index. It reads
// file contents only to hash files whose metadata changed but size did not,
// or that may be renamed copies of missing ones.
func (e *Engine) scan(ctx context.Context, sc scope) (*plan, error) {
	s := &scanner{e: e, all: sc.all, first: e.ix.Empty(e.folder), p: &plan{meta: map[string]Entry{}, deletes: map[string]Entry{}, localDirs: map[string]bool{}},
		index: map[string]Entry{}, seen: seenSet{}, dirs: map[string]bool{}}
	load := func(rel string, en Entry) { s.index[rel] = en }
	walk := []string{"."}
	if !sc.all {
		walk = append([]string{}, sc.dirs...)
		// A new file in a folder the index does not know yet: the folder is
		// new (made, or renamed into place), so all of it is looked at, and a
		// renamed folder is found as one whichever of its paths the watcher
		// named.
		for _, rel := range sc.paths {
			if top := e.newAncestor(rel); top != "" && !slices.Contains(walk, top) {
				walk = append(walk, top)
			}
		}
		for _, rel := range append(append([]string{}, walk...), sc.paths...) {
			if err := e.ix.forEachUnder(e.folder, rel, load); err != nil {
				return nil, err
			}
		}
		for _, rel := range sc.paths {
			abs := filepath.Join(e.opts.Root, filepath.FromSlash(rel))
			info, err := os.Lstat(abs)
			switch {
			case err != nil: // gone: its index entries are missing below
			case info.IsDir():
				walk = append(walk, rel)
			default:
				if err := s.visit(ctx, abs, fs.FileInfoToDirEntry(info), nil); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, rel := range walk {
		err := filepath.WalkDir(filepath.Join(e.opts.Root, filepath.FromSlash(rel)), func(abs string, d fs.DirEntry, err error) error {
			return s.visit(ctx, abs, d, err)
		})
		if err != nil && !(rel != "." && errors.Is(err, fs.ErrNotExist)) {
			return nil, err
		}
	}
	return s.finish(), nil
}

func (s *scanner) visit(ctx context.Context, abs string, d fs.DirEntry, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	e, p := s.e, s.p
	rel, relErr := filepath.Rel(e.opts.Root, abs)
	if relErr != nil {
		return relErr
	}
	rel = filepath.ToSlash(rel)
	if err != nil {
		if rel == "." {
			return err
		}
		p.failed = append(p.failed, FileError{rel, fmt.Errorf("cannot read: %w", err)})
		if d != nil && d.IsDir() {
			s.seen.add(rel)
			s.keepUnder(rel) // its files are unknown, not gone
			return filepath.SkipDir
		}
		return nil
	}
	if rel == "." || s.seen.has(rel) {
		return nil
	}
	if e.filter.Ignored(rel, d.IsDir()) {
		// Left out from now on; what the server has of it stays as it is.
		s.seen.add(rel)
		if d.IsDir() {
			s.keepUnder(rel)
			return filepath.SkipDir
		}
		return nil
	}
	info, err := d.Info()
	if err != nil { // vanished between listing and stat
		return nil
	}
	old, known := s.lookup(rel)
	switch t := d.Type(); {
	case t.IsDir():
		if s.all {
			p.localDirs[rel] = true
		}
		switch {
		case known && !old.isDir():
			// A file's name, now a folder's: the file is handled as deleted
			// this pass (kept as a version), the folder recorded on the next.
		case !known:
			s.seen.add(rel)
			en := dirEntry(info, format.Stamp(e.now()))
			p.meta[rel] = en // in the history, so a restore recreates it
			s.newDirs = append(s.newDirs, newFile{rel, en})
		default:
			s.seen.add(rel)
		}
		if !s.dirs[rel] && !e.ix.HasDir(e.folderAt.Current(rel)) {
			s.dirs[rel] = true
			p.dirs = append(p.dirs, rel)
		}
	case t&fs.ModeSymlink != 0:
		s.seen.add(rel)
		target, err := os.Readlink(abs)
		if err != nil {
			p.failed = append(p.failed, FileError{rel, err})
			return nil
		}
		cur := localEntry(info)
		cur.Link, cur.Since = target, format.Stamp(e.now())
		if !known || old.Link != target {
			p.meta[rel] = cur // recorded for restore, never followed
		}
	case t.IsRegular():
		s.seen.add(rel)
		cur := localEntry(info)
		if known && old.isDir() { // a folder's name, now a file's
			known = false
		}
		switch {
		case !known && s.first:
			p.addUpload(rel, cur.Size) // nothing to be renamed from: no need to hold it
		case !known:
			s.fresh = append(s.fresh, newFile{rel, cur})
		case old.Vacated || old.Link != "" || old.Pending != "" || old.Damaged:
			// Nothing confirmed is on the server now, a crash left a
			// version move unfinished, or the server's copy was found
			// damaged: upload settles it either way.
			p.addUpload(rel, cur.Size)
		case old.sameMeta(cur):
			p.unchanged++
		case old.Size == cur.Size && old.SHA256 != "":
			sum, err := s.e.hashLocal(ctx, abs, nil)
			if err != nil {
				p.failed = append(p.failed, FileError{rel, err})
				return nil
			}
			if sum == old.SHA256 { // touched, not changed
				cur.SHA256, cur.Since = old.SHA256, old.Since
				p.meta[rel] = cur
			} else {
				p.addUpload(rel, cur.Size)
			}
		default:
			p.addUpload(rel, cur.Size)
		}
	default:
		p.skipped = append(p.skipped, FileError{rel, fmt.Errorf("special file (%s), not backed up", t.Type())})
	}
	return nil
}

// newAncestor is the outermost folder above rel that the index does not
// know, or "" when rel's folder is known.
func (e *Engine) newAncestor(rel string) string {
	top := ""
	for dir := path.Dir(rel); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if en, ok := e.ix.Get(e.folder, dir); ok && en.isDir() {
			break
		}
		top = dir
	}
	return top
}

// findMovedIn adds to missing the out-of-scope entries a new file was moved
// from: same inode, and the old path gone from the disk. A watcher may
// report the two halves of a move in different batches.
func (s *scanner) findMovedIn(missing map[string]Entry) {
	inodes := map[uint64]bool{}
	for _, f := range s.fresh {
		if f.entry.Inode != 0 {
			inodes[f.entry.Inode] = true
		}
	}
	if len(inodes) == 0 || s.all {
		return
	}
	_ = s.e.ix.ForEach(s.e.folder, func(rel string, en Entry) {
		if _, inScope := s.index[rel]; inScope || !inodes[en.Inode] {
			return
		}
		if _, err := os.Lstat(filepath.Join(s.e.opts.Root, filepath.FromSlash(rel))); errors.Is(err, fs.ErrNotExist) {
			missing[rel] = en
		}
	})
}

// keepUnder marks every indexed path under dir as seen: not to be deleted.
func (s *scanner) keepUnder(dir string) {
	s.p.keptDirs = append(s.p.keptDirs, dir)
	if s.all {
		_ = s.e.ix.forEachPrefix(s.e.folder, dir+"/", func(rel string, _ Entry) { s.seen.add(rel) })
		return
	}
	for r := range s.index {
		if strings.HasPrefix(r, dir+"/") {
			s.seen.add(r)
		}
	}
}

// finish pairs new files with missing ones (renames); the rest of the
// missing are deletions.
func (s *scanner) finish() *plan {
	p := s.p
	missing := map[string]Entry{}
	gone := func(rel string, en Entry) {
		if !s.seen.has(rel) {
			missing[rel] = en
		}
	}
	if s.all {
		_ = s.e.ix.forEachEntry(s.e.folder, gone) // streamed: only what is missing is held
	} else {
		for rel, en := range s.index {
			gone(rel, en)
		}
	}
	s.findMovedIn(missing)
	sort.Slice(s.fresh, func(i, j int) bool { return s.fresh[i].rel < s.fresh[j].rel })
	cands := newRenameCandidates(missing)
	for _, f := range s.fresh {
		if from, en, ok := s.e.renamedFrom(f.rel, f.entry, cands, missing); ok {
			f.entry.SHA256, f.entry.Since = en.SHA256, en.Since
			p.moves = append(p.moves, move{from: from, to: f.rel, entry: f.entry})
			delete(missing, from)
			continue
		}
		p.addUpload(f.rel, f.entry.Size)
	}
	p.deletes = missing
	s.groupFolderMoves()
	return p
}

func (p *plan) addUpload(rel string, size int64) {
	p.uploads = append(p.uploads, upload{rel, size})
	p.bytes += size
}

// renameCandidates are the missing files a new file may have been renamed
// from, by inode and by size: looked up, not searched, so renaming a folder
// of 50,000 files does not compare every new file with every missing one.
type renameCandidates struct {
	byInode map[uint64][]string
	bySize  map[int64][]string
}

func newRenameCandidates(missing map[string]Entry) renameCandidates {
	c := renameCandidates{byInode: map[uint64][]string{}, bySize: map[int64][]string{}}
	for rel, en := range missing {
		if en.Vacated || en.Link != "" || en.isDir() || en.SHA256 == "" {
			continue
		}
		if en.Inode != 0 {
			c.byInode[en.Inode] = append(c.byInode[en.Inode], rel)
		}
		c.bySize[en.Size] = append(c.bySize[en.Size], rel)
	}
	return c
}

// renamedFrom finds the missing file a new one was renamed from: the same
// inode with the same size and time, or else the same size and content.
func (e *Engine) renamedFrom(rel string, cur Entry, c renameCandidates, missing map[string]Entry) (string, Entry, bool) {
	if cur.Inode != 0 {
		for _, from := range c.byInode[cur.Inode] {
			if en, ok := missing[from]; ok && en.Size == cur.Size && en.MTime == cur.MTime {
				return from, en, true
			}
		}
	}
	var sameSize []string
	for _, from := range c.bySize[cur.Size] {
		if _, ok := missing[from]; ok { // not taken by an earlier new file
			sameSize = append(sameSize, from)
		}
	}
	if len(sameSize) == 0 || cur.Size == 0 {
		return "", Entry{}, false
	}
	sum, err := e.hashLocal(context.Background(), filepath.Join(e.opts.Root, filepath.FromSlash(rel)), nil)
	if err != nil {
		return "", Entry{}, false
	}
	sort.Strings(sameSize)
	for _, from := range sameSize {
		if missing[from].SHA256 == sum {
			return from, missing[from], true
		}
	}
	return "", Entry{}, false
}

// HashFile returns the hex SHA-256 of a file's content.
func HashFile(path string) (string, error) {
	return hashWith(context.Background(), sha256.New(), path, nil)
}

var errVanished = errors.New("the file vanished before it could be backed up")
