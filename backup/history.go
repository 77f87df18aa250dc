package backup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/backup/format"
)

// Index meta keys of a folder's history on the server.
const (
	metaMoment     = "moment"  // the newest moment recorded on the server
	metaPending    = "pending" // a moment whose record is being written
	metaOldCatalog = "catalog" // the newest catalog of a Kumo before journals
)

// record writes this pass's moment to the server: a journal record of
// what changed since the moment before (the folder's first moment is a
// checkpoint). Checkpoints after it are written by compact, when reading
// the records since the last one would cost more than one.
// The moment is named in the index (synced) before its record is sent, so
// after a crash the same moment is written again with the same changes:
// no gap and no duplicate (settle).
func (e *Engine) record(ctx context.Context) (moment, file string, err error) {
	e.migrate()
	stamp := e.ix.Meta(e.folder, metaPending)
	if stamp == "" {
		stamp = e.nextStamp()
		if err := e.ix.SetMeta(e.folder, metaPending, stamp); err != nil {
			return "", "", err
		}
	}
	dirs := newDirCache(e.remote, e.ix.HasDir, func(d string) { _ = e.ix.apply([]change{{dir: d}}) })
	if err := dirs.ensure(ctx, e.folderAt.Catalogs()); err != nil {
		return "", "", err
	}
	prev := e.ix.Meta(e.folder, metaMoment)
	if prev == "" || prev >= stamp {
		// The first moment (or a history Kumo cannot continue): a checkpoint alone.
		return stamp, e.folderAt.Catalog(stamp), e.checkpoint(ctx, stamp, true)
	}
	rels := e.ix.Unjournaled(e.folder)
	rec := format.Record{JournalHeader: format.JournalHeader{Device: e.folderAt.Device, Folder: e.folderAt.Name, Time: stamp, Prev: prev}}
	for _, rel := range rels {
		if en, ok := e.ix.Get(e.folder, rel); ok {
			rec.Changes = append(rec.Changes, format.Change{CatalogEntry: en.catalog(rel)})
		} else {
			rec.Changes = append(rec.Changes, format.Change{CatalogEntry: format.CatalogEntry{Path: rel}, Gone: true})
		}
	}
	var buf bytes.Buffer
	jw := format.NewJournalWriter(&buf)
	if err := jw.Write(rec); err != nil {
		return "", "", err
	}
	if err := jw.Close(); err != nil {
		return "", "", err
	}
	// Overwriting is safe: a retry after a crash sends the same record.
	file = e.folderAt.Journal(stamp)
	if err := e.remote.Put(ctx, file, uploadBytes(buf.Bytes()), int64(buf.Len())); err != nil {
		return "", "", err
	}
	return stamp, file, e.ix.Journaled(e.folder, rels, map[string]string{metaMoment: stamp, metaPending: ""})
}

// hasHistory reports whether the folder has a moment on the server.
func (e *Engine) hasHistory() bool {
	return e.ix.Meta(e.folder, metaMoment) != "" || e.ix.Meta(e.folder, metaOldCatalog) != ""
}

// nextStamp names a new moment, later than every moment before it even
// if the clock did not move (or went back).
func (e *Engine) nextStamp() string {
	stamp := format.Stamp(e.now())
	if last := e.ix.Meta(e.folder, metaMoment); stamp <= last {
		t, _ := format.ParseStamp(last)
		stamp = format.Stamp(t.Add(time.Millisecond))
	}
	return stamp
}

// checkpoint writes the whole folder at moment stamp, streamed from the
// index through a temporary file (no folder is held in memory). When it is
// the moment's only record (the folder's first, root) it also notes the
// moment and that every change is recorded.
func (e *Engine) checkpoint(ctx context.Context, stamp string, root bool) error {
	var rels []string
	if root {
		rels = e.ix.Unjournaled(e.folder)
	}
	tmp, err := os.CreateTemp("", "kumo-checkpoint-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	cw, err := format.NewCatalogWriter(tmp, format.CatalogHeader{Device: e.folderAt.Device, Folder: e.folderAt.Name, Time: stamp})
	if err != nil {
		return err
	}
	var werr error
	if err := e.ix.forEachEntry(e.folder, func(rel string, en Entry) {
		if werr == nil {
			werr = cw.Write(en.catalog(rel))
		}
	}); err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	if err := cw.Close(); err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	open := func() (io.ReadCloser, error) { return os.Open(tmp.Name()) }
	if err := e.remote.Put(ctx, e.folderAt.Catalog(stamp), open, size); err != nil {
		return err
	}
	if !root {
		return nil // a journal record of the moment is already on the server
	}
	return e.ix.Journaled(e.folder, rels, map[string]string{metaMoment: stamp, metaPending: ""})
}

// settle finishes a moment whose record a crash (or a failed request) left
// unsent, before the pass changes the index: the same moment, with the
// same changes, so the history has no gap and no duplicate.
func (e *Engine) settle(ctx context.Context) error {
	if e.ix.Meta(e.folder, metaPending) == "" {
		return nil
	}
	_, _, err := e.record(ctx)
	return err
}

// migrate continues the history of a Kumo that wrote only catalogs: its
// newest catalog is the newest moment and checkpoint.
func (e *Engine) migrate() {
	old := e.ix.Meta(e.folder, metaOldCatalog)
	if old == "" || e.ix.Meta(e.folder, metaMoment) != "" {
		return
	}
	_ = e.ix.Journaled(e.folder, nil, map[string]string{metaMoment: old, metaOldCatalog: ""})
}

// bootstrap fills an empty index from the server's history (the newest
// moment: its checkpoint and the journal records since), so a new or
// rebuilt index does not re-upload (or clobber) what the server has.
// Nothing is written to the index until the history read whole.
func (e *Engine) bootstrap(ctx context.Context) error {
	h, err := format.OpenHistory(ctx, e.remote, e.folderAt)
	if err != nil || h.Empty() {
		return err
	}
	moment := h.Newest()
	var entries []format.CatalogEntry
	collect := func(c format.CatalogEntry) error { entries = append(entries, c); return nil }
	err = h.State(ctx, moment, collect)
	var gap *format.GapError
	if errors.As(err, &gap) {
		// Continue from the newest checkpoint instead; the gap stays
		// reported to a restore of the moments it affects.
		e.log.Warn("the server's history has a gap; the index starts from its newest checkpoint", "folder", e.folder, "err", err)
		moment, entries = newestCheckpoint(h), nil
		err = h.State(ctx, moment, collect)
	}
	if err != nil {
		return err
	}
	w := newIndexWriter(e.ix, e.folder)
	for _, c := range entries {
		if validRel(c.Path) {
			w.putRecorded(c.Path, Entry{Size: c.Size, MTime: c.MTime, Mode: c.Mode, SHA256: c.SHA256, Since: c.Since, Link: c.Link})
		}
	}
	if err := w.close(); err != nil {
		return err
	}
	e.log.Info("index rebuilt from the server's history", "folder", e.folder, "files", len(entries), "moment", moment)
	return e.ix.Journaled(e.folder, nil, map[string]string{metaMoment: moment})
}

func newestCheckpoint(h *format.History) string {
	newest := ""
	for _, p := range h.Pieces {
		if p.Kind == format.CheckpointPiece {
			newest = max(newest, p.First)
		}
	}
	return newest
}

// validRel accepts a catalog path only if it stays inside the folder.
func validRel(p string) bool {
	return p != "" && !strings.HasPrefix(p, "/") && !strings.Contains(p, "\\") && !strings.Contains(p, "\x00") &&
		path.Clean(p) == p && p != ".." && !strings.HasPrefix(p, "../")
}
