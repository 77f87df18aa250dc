package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// plan is what a pass must do, worked out from metadata alone (plus hashes
// where metadata says a file may or may not have changed).
type plan struct {
	dirs      []string         // local folders whose remote folder is not known to exist
	uploads   []string         // new or changed files
	meta      map[string]Entry // changes without new content: touched files, symbolic links
	moves     []move           // files renamed or moved within the folder
	deletes   map[string]Entry // files gone from the disk
	skipped   []FileError
	failed    []FileError
	bytes     int64 // to upload
	unchanged int64 // files the server already has
}

type move struct {
	from, to string
	entry    Entry // the new metadata, with the moved content's SHA256 and Since
}

// localEntry describes a file's metadata as the index stores it.
func localEntry(info fs.FileInfo) Entry {
	return Entry{Size: info.Size(), MTime: info.ModTime().UnixNano(), Mode: uint32(info.Mode()), Inode: inode(info)}
}

// scan compares the folder with the index. It reads file contents only to
// hash files whose metadata changed but size did not, or that may be
// renamed copies of missing ones.
func (e *Engine) scan(ctx context.Context) (*plan, error) {
	p := &plan{meta: map[string]Entry{}, deletes: map[string]Entry{}}
	seen := map[string]bool{}
	index := map[string]Entry{}
	if err := e.ix.ForEach(e.folder, func(rel string, en Entry) { index[rel] = en }); err != nil {
		return nil, err
	}
	type newFile struct {
		rel   string
		entry Entry
	}
	var fresh []newFile

	err := filepath.WalkDir(e.opts.Root, func(abs string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
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
				// Its files are unknown, not gone: keep them off the delete list.
				for r := range index {
					if len(r) > len(rel) && r[:len(rel)+1] == rel+"/" {
						seen[r] = true
					}
				}
				return filepath.SkipDir
			}
			return nil
		}
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil { // vanished between listing and stat
			return nil
		}
		old, known := index[rel]
		switch t := d.Type(); {
		case t.IsDir():
			if !e.ix.HasDir(e.layout.current(rel)) {
				p.dirs = append(p.dirs, rel)
			}
		case t&fs.ModeSymlink != 0:
			seen[rel] = true
			target, err := os.Readlink(abs)
			if err != nil {
				p.failed = append(p.failed, FileError{rel, err})
				return nil
			}
			cur := localEntry(info)
			cur.Link, cur.Since = target, Stamp(e.now())
			if !known || old.Link != target {
				p.meta[rel] = cur // recorded for restore, never followed
			}
		case t.IsRegular():
			seen[rel] = true
			cur := localEntry(info)
			switch {
			case !known:
				fresh = append(fresh, newFile{rel, cur})
			case old.Vacated || old.Link != "" || old.Pending != "":
				// Nothing confirmed is on the server now, or a crash left a
				// version move unfinished: upload settles it either way.
				p.addUpload(rel, cur.Size)
			case old.sameMeta(cur):
				p.unchanged++
			case old.Size == cur.Size && old.SHA256 != "":
				sum, err := HashFile(abs)
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
	})
	if err != nil {
		return nil, err
	}

	// What the index has and the disk does not is gone, or renamed.
	missing := map[string]Entry{}
	for rel, en := range index {
		if !seen[rel] {
			missing[rel] = en
		}
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].rel < fresh[j].rel })
	for _, f := range fresh {
		if from, en, ok := e.renamedFrom(f.rel, f.entry, missing); ok {
			f.entry.SHA256, f.entry.Since = en.SHA256, en.Since
			p.moves = append(p.moves, move{from: from, to: f.rel, entry: f.entry})
			delete(missing, from)
			continue
		}
		p.addUpload(f.rel, f.entry.Size)
	}
	p.deletes = missing
	return p, nil
}

func (p *plan) addUpload(rel string, size int64) {
	p.uploads = append(p.uploads, rel)
	p.bytes += size
}

// renamedFrom finds the missing file a new one was renamed from: the same
// inode with the same size and time, or else the same size and content.
func (e *Engine) renamedFrom(rel string, cur Entry, missing map[string]Entry) (string, Entry, bool) {
	var sameSize []string
	for from, en := range missing {
		if en.Vacated || en.Link != "" || en.Size != cur.Size || en.SHA256 == "" {
			continue
		}
		if cur.Inode != 0 && en.Inode == cur.Inode && en.MTime == cur.MTime {
			return from, en, true
		}
		sameSize = append(sameSize, from)
	}
	if len(sameSize) == 0 || cur.Size == 0 {
		return "", Entry{}, false
	}
	sum, err := HashFile(filepath.Join(e.opts.Root, filepath.FromSlash(rel)))
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
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var errVanished = errors.New("the file vanished before it could be backed up")
