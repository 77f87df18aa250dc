// Package restore brings files back from what is on the server only: the
// catalogs say what a folder held at each moment, the versions and current
// copies hold the bytes. It needs no local index, so it works on a fresh
// machine with only the credentials, and it never writes outside the
// destination, whatever the server says.
package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/transport"
)

// Remote is what restoring needs from a WebDAV area: reading only, the
// same as reading a history.
type Remote = format.Store

// Snapshot is one moment a folder can be restored to.
type Snapshot struct {
	Stamp string // the moment's stamp (format.Stamp)
	Time  time.Time
}

// File is one file or link of a snapshot.
type File struct {
	Path   string // slash-separated, relative to the folder
	Size   int64
	MTime  time.Time
	Mode   fs.FileMode
	SHA256 string
	Since  string
	Link   string // a symbolic link's target
}

// Note is a file that was not restored as asked, and why.
type Note struct {
	Path   string
	Reason string
}

func (n Note) String() string { return n.Path + ": " + n.Reason }

// Folders lists the backed-up folders of a device (those with catalogs).
func Folders(ctx context.Context, r Remote, device string) ([]string, error) {
	if err := CheckName(device); err != nil {
		return nil, err
	}
	infos, err := r.List(ctx, format.CatalogFolders(device))
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the backed-up folders of %s: %w", device, err)
	}
	var names []string
	for _, fi := range infos {
		if fi.IsDir() && CheckName(fi.Name()) == nil {
			names = append(names, fi.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Snapshots lists the moments a folder can be restored to, oldest first.
func Snapshots(ctx context.Context, r Remote, device, folder string) ([]Snapshot, error) {
	h, err := history(ctx, r, device, folder)
	if err != nil || h == nil {
		return nil, err
	}
	return snapshotsOf(ctx, h)
}

func history(ctx context.Context, r Remote, device, folder string) (*format.History, error) {
	if err := CheckName(device); err != nil {
		return nil, err
	}
	if err := CheckName(folder); err != nil {
		return nil, err
	}
	return format.OpenHistory(ctx, r, format.Folder{Device: device, Name: folder})
}

func snapshotsOf(ctx context.Context, h *format.History) ([]Snapshot, error) {
	moments, err := h.Moments(ctx)
	if err != nil {
		return nil, err
	}
	snaps := make([]Snapshot, 0, len(moments))
	for _, m := range moments {
		t, _ := format.ParseStamp(m)
		snaps = append(snaps, Snapshot{Stamp: m, Time: t})
	}
	return snaps, nil
}

// contentHash is the hash the folder's catalogs record: SHA-256, or the
// keyed hash when r reads an encrypted folder (Unlock).
func contentHash(r Remote) func() hash.Hash {
	if k, ok := r.(interface{ NewHash() hash.Hash }); ok {
		return k.NewHash
	}
	return sha256.New
}

// View is a folder as it was at one snapshot, ready to browse and restore.
type View struct {
	Device, Folder string
	Snapshot       Snapshot
	Files          []File // sorted by path; only names safe to write
	// Folders are the folders the moment recorded, empty ones included,
	// sorted by path (backups made before folders were recorded have none).
	Folders []File
	Refused []Note // names from the catalog that will not be written

	remote   Remote
	newHash  func() hash.Hash // the catalog's content hash: keyed in an encrypted folder
	emptySum string           // its value for no bytes
	paths    format.Folder
	history  *format.History

	mu        sync.Mutex
	dirs      map[string][]os.FileInfo       // remote folders listed so far
	newestIdx map[string]format.CatalogEntry // the newest moment's entries by path
	moved     []format.CatalogEntry          // content that later moments put at other paths
	movedRead bool
	folded    []string // Files' paths as search compares them
}

// ErrNoSnapshot means the folder has no backup at or before the moment asked for.
var ErrNoSnapshot = errors.New("there is no backup of this folder at or before that moment")

// Open reads the snapshot in force at moment at (the newest one when at is
// zero): the newest moment at or before it, built from its checkpoint and
// the journal records since. A record missing on the server is an error
// naming the moments it affects, never a silently different folder.
func Open(ctx context.Context, r Remote, device, folder string, at time.Time) (*View, error) {
	h, err := history(ctx, r, device, folder)
	if err != nil {
		return nil, err
	}
	snaps, err := snapshotsOf(ctx, h)
	if err != nil {
		return nil, err
	}
	i := len(snaps) - 1
	if !at.IsZero() {
		i = sort.Search(len(snaps), func(i int) bool { return snaps[i].Time.After(at) }) - 1
	}
	if i < 0 {
		if len(snaps) == 0 {
			return nil, fmt.Errorf("%s/%s: the server has no backup of this folder", device, folder)
		}
		return nil, fmt.Errorf("%s/%s: %w (the first is from %s)", device, folder, ErrNoSnapshot, snaps[0].Time.Local().Format("2 Jan 2006 15:04:05"))
	}
	v := &View{Device: device, Folder: folder, Snapshot: snaps[i], remote: r, newHash: contentHash(r), paths: format.Folder{Device: device, Name: folder},
		history: h, dirs: map[string][]os.FileInfo{}}
	v.emptySum = hex.EncodeToString(v.newHash().Sum(nil))
	var entries []format.CatalogEntry
	if err := h.State(ctx, snaps[i].Stamp, func(e format.CatalogEntry) error { entries = append(entries, e); return nil }); err != nil {
		return nil, fmt.Errorf("%s/%s as of %s: %w", device, folder, snaps[i].Time.Local().Format("2 Jan 2006 15:04:05"), err)
	}
	seen := map[string]bool{}
	var folders []File
	for _, e := range entries {
		if err := CheckRel(e.Path); err != nil {
			v.Refused = append(v.Refused, Note{Path: e.Path, Reason: err.Error()})
			continue
		}
		if seen[e.Path] {
			v.Refused = append(v.Refused, Note{Path: e.Path, Reason: "the catalog lists this file twice; the first entry was used"})
			continue
		}
		if e.Size < 0 {
			v.Refused = append(v.Refused, Note{Path: e.Path, Reason: "the catalog gives a negative size; it was not restored"})
			continue
		}
		if fs.FileMode(e.Mode).IsDir() {
			folders = append(folders, File{Path: e.Path, Mode: fs.FileMode(e.Mode)})
			continue
		}
		seen[e.Path] = true
		v.Files = append(v.Files, File{Path: e.Path, Size: e.Size, MTime: time.Unix(0, e.MTime), Mode: fs.FileMode(e.Mode),
			SHA256: strings.ToLower(e.SHA256), Since: e.Since, Link: e.Link})
	}
	// A name that is a file and also a folder of other files cannot be both.
	for _, f := range v.Files {
		for dir := parentOf(f.Path); dir != ""; dir = parentOf(dir) {
			if seen[dir] {
				v.Refused = append(v.Refused, Note{Path: dir, Reason: "the catalog lists it both as a file and as a folder; the folder was kept"})
				seen[dir] = false
			}
		}
	}
	kept := v.Files[:0]
	for _, f := range v.Files {
		if seen[f.Path] {
			kept = append(kept, f)
		}
	}
	v.Files = kept
	sort.Slice(v.Files, func(i, j int) bool { return v.Files[i].Path < v.Files[j].Path })
	for _, d := range folders {
		if seen[d.Path] {
			v.Refused = append(v.Refused, Note{Path: d.Path, Reason: "the catalog lists it both as a file and as a folder; the file was kept"})
			continue
		}
		v.Folders = append(v.Folders, d)
	}
	sort.Slice(v.Folders, func(i, j int) bool { return v.Folders[i].Path < v.Folders[j].Path })
	v.Folders = slices.CompactFunc(v.Folders, func(a, b File) bool { return a.Path == b.Path })
	return v, nil
}

// parentOf returns the folder of a slash-separated path, "" at the top.
func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func isNotFound(err error) bool {
	var se *transport.StatusError
	return errors.Is(err, fs.ErrNotExist) || (errors.As(err, &se) && se.Code == http.StatusNotFound)
}
