package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/backup/format"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Entry is what the index knows of one path: the local metadata it had when
// the server confirmed its content, and where that content is.
type Entry struct {
	Size   int64  `json:"s"`
	MTime  int64  `json:"m"` // nanoseconds since the epoch
	Inode  uint64 `json:"i,omitempty"`
	Mode   uint32 `json:"p"`
	SHA256 string `json:"h,omitempty"`
	// Since stamps when this content became current on the server; with
	// SHA256 it identifies the content in catalogs and version names.
	Since string `json:"t"`
	Link  string `json:"l,omitempty"` // a symbolic link's target: recorded, not uploaded
	// Pending names the version a MOVE is about to create: written (and
	// synced) before the MOVE, so a crash cannot make two versions of it.
	Pending string `json:"v,omitempty"`
	// Vacated means the server's current copy was moved into the versions:
	// nothing at the path is vouched for until the next upload is confirmed.
	Vacated bool `json:"x,omitempty"`
	// Damaged means a verification read the server's copy back and it
	// differed: the next pass sends the file again, over it.
	Damaged bool `json:"d,omitempty"`
}

// catalog is the entry as the server's history records it.
func (e Entry) catalog(rel string) format.CatalogEntry {
	return format.CatalogEntry{Path: rel, Size: e.Size, MTime: e.MTime, Mode: e.Mode, SHA256: e.SHA256, Since: e.Since, Link: e.Link}
}

// isDir reports whether the entry records a folder (kept so that a restore
// recreates it, empty ones too) rather than a file or a link.
func (e Entry) isDir() bool { return fs.FileMode(e.Mode).IsDir() }

// dirEntry is the index entry of a folder: its mode, and its inode to find
// it when renamed. No time: a folder's changes with every file put in it.
func dirEntry(info fs.FileInfo, since string) Entry {
	return Entry{Mode: uint32(info.Mode()), Inode: inode(info), Since: since}
}

func (e Entry) sameMeta(o Entry) bool {
	return e.Size == o.Size && e.MTime == o.MTime && e.Mode == o.Mode && e.Link == o.Link &&
		(e.Inode == 0 || o.Inode == 0 || e.Inode == o.Inode)
}

// Index is the local record of what the server holds, in a bbolt file. It
// is a cache: losing it costs a rescan and hashing, never data.
type Index struct {
	db *bolt.DB
}

var (
	bucketFiles    = []byte("files")    // folder \x00 rel -> Entry
	bucketDirs     = []byte("dirs")     // remote folder path -> ""
	bucketVersions = []byte("versions") // remote version path -> superseded stamp
	bucketMeta     = []byte("meta")     // folder \x00 key -> value
	// bucketJournal lists the paths whose state changed since the last
	// journal record went to the server: what the next one must say.
	bucketJournal = []byte("unjournaled") // folder \x00 rel -> ""
)

// ErrIndexBusy means another Kumo process holds the index.
var ErrIndexBusy = errors.New("another Kumo is already backing up this folder (its index is in use): wait for it to finish or stop it")

// OpenIndex opens (creating) the index at path.
func OpenIndex(path string) (*Index, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the index folder: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, ErrIndexBusy
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open the index %s (delete it to start afresh; nothing on the server is lost): %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketFiles, bucketDirs, bucketVersions, bucketMeta, bucketJournal} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Index{db: db}, nil
}

// Close releases the index.
func (ix *Index) Close() error { return ix.db.Close() }

func fileKey(folder, rel string) []byte { return []byte(folder + "\x00" + rel) }

// Get returns the entry of rel in folder.
func (ix *Index) Get(folder, rel string) (Entry, bool) {
	var e Entry
	var ok bool
	_ = ix.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketFiles).Get(fileKey(folder, rel)); v != nil {
			ok = decodeEntry(v, &e) == nil
		}
		return nil
	})
	return e, ok
}

// ForEach calls fn for every file and link of folder (not its folders).
func (ix *Index) ForEach(folder string, fn func(rel string, e Entry)) error {
	return ix.forEachEntry(folder, func(rel string, e Entry) {
		if !e.isDir() {
			fn(rel, e)
		}
	})
}

// forEachEntry calls fn for every entry of folder, its folders included.
func (ix *Index) forEachEntry(folder string, fn func(rel string, e Entry)) error {
	return ix.forEachPrefix(folder, "", fn)
}

// forEachUnder calls fn for rel itself and every entry below it.
func (ix *Index) forEachUnder(folder, rel string, fn func(rel string, e Entry)) error {
	if rel == "." || rel == "" {
		return ix.forEachEntry(folder, fn)
	}
	if e, ok := ix.Get(folder, rel); ok {
		fn(rel, e)
	}
	return ix.forEachPrefix(folder, rel+"/", fn)
}

func (ix *Index) forEachPrefix(folder, relPrefix string, fn func(rel string, e Entry)) error {
	base := []byte(folder + "\x00")
	prefix := append(append([]byte{}, base...), relPrefix...)
	return ix.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFiles).Cursor()
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			var e Entry
			if decodeEntry(v, &e) == nil {
				fn(string(k[len(base):]), e)
			}
		}
		return nil
	})
}

// Empty reports whether folder has no entry, looking at one key at most
// (every pass asks; counting would decode the whole folder).
func (ix *Index) Empty(folder string) bool {
	prefix := []byte(folder + "\x00")
	empty := true
	_ = ix.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketFiles).Cursor().Seek(prefix)
		empty = k == nil || !bytes.HasPrefix(k, prefix)
		return nil
	})
	return empty
}

// change is one index update; apply runs a batch of them in one transaction.
type change struct {
	folder, rel string
	entry       *Entry // nil deletes
	dir         string // a remote folder now known to exist
	version     string // a version created, with stamp as its superseded time
	stamp       string
	// recorded: the server's history already says this (an index rebuilt
	// from it), so the next journal record need not.
	recorded bool
}

func (ix *Index) apply(changes []change) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		files, dirs, versions, journal := tx.Bucket(bucketFiles), tx.Bucket(bucketDirs), tx.Bucket(bucketVersions), tx.Bucket(bucketJournal)
		// Entries mostly arrive in path order (a folder walk): fuller pages
		// keep the index, and what of it is mapped in memory, small.
		files.FillPercent = 0.9
		for _, c := range changes {
			var err error
			key := fileKey(c.folder, c.rel)
			switch {
			case c.dir != "":
				err = dirs.Put([]byte(c.dir), nil)
			case c.version != "":
				err = versions.Put([]byte(c.version), []byte(c.stamp))
			case c.entry == nil:
				if files.Get(key) != nil && !c.recorded {
					err = journal.Put(key, nil)
				}
				if err == nil {
					err = files.Delete(key)
				}
			default:
				if !c.recorded && catalogChanged(files.Get(key), c.entry) {
					err = journal.Put(key, nil)
				}
				if err == nil {
					err = files.Put(key, encodeEntry(c.entry))
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// catalogChanged reports whether e says something else than old (an
// encoded entry, nil when none) in what the server's history records.
func catalogChanged(old []byte, e *Entry) bool {
	if old == nil {
		return true
	}
	var o Entry
	if decodeEntry(old, &o) != nil {
		return true
	}
	return o.catalog("") != e.catalog("")
}

// Unjournaled lists the paths of folder whose state the server's history
// does not say yet, sorted.
func (ix *Index) Unjournaled(folder string) []string {
	prefix := []byte(folder + "\x00")
	var out []string
	_ = ix.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			out = append(out, string(k[len(prefix):]))
		}
		return nil
	})
	return out
}

// Journaled records, in one transaction, that the server's history now
// says rels (and sets the given meta values of folder).
func (ix *Index) Journaled(folder string, rels []string, meta map[string]string) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		j, m := tx.Bucket(bucketJournal), tx.Bucket(bucketMeta)
		for _, rel := range rels {
			if err := j.Delete(fileKey(folder, rel)); err != nil {
				return err
			}
		}
		for k, v := range meta {
			if err := m.Put([]byte(folder+"\x00"+k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Put records one entry durably at once (for write-ahead intents).
func (ix *Index) Put(folder, rel string, e Entry) error {
	return ix.apply([]change{{folder: folder, rel: rel, entry: &e}})
}

// HasDir reports whether a remote folder is known to exist.
func (ix *Index) HasDir(dir string) bool {
	var ok bool
	_ = ix.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketDirs).Get([]byte(dir)) != nil
		return nil
	})
	return ok
}

// Versions returns the versions recorded under prefix with their superseded stamps.
func (ix *Index) Versions(prefix string) map[string]string {
	out := map[string]string{}
	_ = ix.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketVersions).Cursor()
		for k, v := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
			out[string(k)] = string(v)
		}
		return nil
	})
	return out
}

// ForgetVersions drops version records (after retention deleted them).
func (ix *Index) ForgetVersions(paths []string) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketVersions)
		for _, p := range paths {
			if err := b.Delete([]byte(p)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Meta reads a per-folder setting such as the last catalog's stamp.
func (ix *Index) Meta(folder, key string) string {
	var v string
	_ = ix.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get([]byte(folder + "\x00" + key)))
		return nil
	})
	return v
}

// SetMeta writes a per-folder setting.
func (ix *Index) SetMeta(folder, key, value string) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(folder+"\x00"+key), []byte(value))
	})
}

// after returns the first entry of folder whose path sorts after rel
// ("" for the first of all).
func (ix *Index) after(folder, rel string) (string, Entry, bool) {
	base := []byte(folder + "\x00")
	var next string
	var e Entry
	found := false
	_ = ix.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFiles).Cursor()
		k, v := c.Seek(fileKey(folder, rel))
		if k != nil && rel != "" && string(k[len(base):]) == rel {
			k, v = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, base); k, v = c.Next() {
			if decodeEntry(v, &e) == nil {
				next, found = string(k[len(base):]), true
				return nil
			}
		}
		return nil
	})
	return next, e, found
}

// markDamaged flags rel's entry as a damaged server copy, unless a pass
// changed it since seen was read; it reports whether it did.
func (ix *Index) markDamaged(folder, rel string, seen Entry) (bool, error) {
	marked := false
	err := ix.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFiles)
		var cur Entry
		if v := b.Get(fileKey(folder, rel)); v == nil || decodeEntry(v, &cur) != nil || cur != seen {
			return nil
		}
		cur.Damaged, marked = true, true
		return b.Put(fileKey(folder, rel), encodeEntry(&cur))
	})
	return marked, err
}

// dirsUnder lists the remote folders known to exist under prefix.
func (ix *Index) dirsUnder(prefix string) []string {
	var out []string
	_ = ix.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDirs).Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
			out = append(out, string(k))
		}
		return nil
	})
	return out
}

// forgetDir drops a remote folder that no longer exists.
func (ix *Index) forgetDir(dir string) error {
	return ix.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketDirs).Delete([]byte(dir)) })
}

// moveDirs renames the remote folder from, and the known folders under it,
// to to: after a folder MOVE on the server.
func (ix *Index) moveDirs(from, to string) error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDirs)
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek([]byte(from)); k != nil && bytes.HasPrefix(k, []byte(from)); k, _ = c.Next() {
			if len(k) == len(from) || k[len(from)] == '/' {
				keys = append(keys, bytes.Clone(k))
			}
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
			if err := b.Put([]byte(to+string(k[len(from):])), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForgetFolder drops everything the index knows of a folder (device/name):
// its files, the server folders and versions under it, its settings and
// what its next journal record was to say.
func (ix *Index) ForgetFolder(folder string) error {
	f := format.FolderOf(folder)
	return ix.db.Update(func(tx *bolt.Tx) error {
		for _, d := range []struct {
			bucket []byte
			paths  []string // each a key of its own, and the prefix of what is under it
		}{
			{bucketFiles, nil}, {bucketMeta, nil}, {bucketJournal, nil}, // keyed folder \x00 ...
			{bucketDirs, []string{folder, f.AllVersions(), f.Catalogs()}},
			{bucketVersions, []string{f.AllVersions()}},
		} {
			b := tx.Bucket(d.bucket)
			if d.paths == nil {
				if err := deletePrefix(b, folder+"\x00"); err != nil {
					return err
				}
			}
			for _, p := range d.paths {
				if err := b.Delete([]byte(p)); err != nil {
					return err
				}
				if err := deletePrefix(b, p+"/"); err != nil { // "Docs/...", never "Docs old"
					return err
				}
			}
		}
		return nil
	})
}

// deletePrefix deletes b's keys that start with prefix, holding at most a
// thousand of them at once rather than a large folder's every path.
func deletePrefix(b *bolt.Bucket, prefix string) error {
	for {
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)) && len(keys) < 1000; k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		if len(keys) == 0 {
			return nil
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
}
