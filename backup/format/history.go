package format

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/kumo-backup/kumo/backup/crypt"
)

// Store reads what is on the server.
type Store interface {
	Get(ctx context.Context, remotePath string) (io.ReadCloser, error)
	List(ctx context.Context, dir string) ([]os.FileInfo, error)
}

// History is a folder's metadata on the server: its checkpoints and the
// records of its moments, read lazily (one listing, then only the files a
// question needs).
type History struct {
	Folder Folder
	Pieces []Piece // sorted by First

	store       Store
	checkpoints map[string]Piece
	loaded      map[string]bool   // pieces already read
	records     map[string]Record // the best record of each moment read so far
	recordGen   map[string]int    // its piece's generation (journal files -1)
	recordFrom  map[string]string // the name of the piece it came from
}

// OpenHistory lists a folder's metadata; a folder without any is empty.
func OpenHistory(ctx context.Context, store Store, f Folder) (*History, error) {
	h := &History{Folder: f, store: store, checkpoints: map[string]Piece{}, loaded: map[string]bool{},
		records: map[string]Record{}, recordGen: map[string]int{}, recordFrom: map[string]string{}}
	infos, err := store.List(ctx, f.Catalogs())
	if err != nil && !notFound(err) {
		return nil, fmt.Errorf("listing the backups of %s/%s: %w", f.Device, f.Name, err)
	}
	for _, fi := range infos {
		if fi.IsDir() {
			continue
		}
		p, ok := ParsePiece(fi.Name(), fi.Size())
		if !ok {
			if plain, enc := strings.CutSuffix(fi.Name(), crypt.Suffix); enc && isPiece(plain) {
				// Read without the key, an encrypted folder would look empty.
				return nil, &LockedError{Folder: f}
			}
			continue // not a name Kumo writes
		}
		h.Pieces = append(h.Pieces, p)
		if p.Kind == CheckpointPiece {
			h.checkpoints[p.First] = p
		}
	}
	sort.Slice(h.Pieces, func(i, j int) bool { return h.Pieces[i].First < h.Pieces[j].First })
	return h, nil
}

func isPiece(name string) bool { _, ok := ParsePiece(name, 0); return ok }

// notFound reports an error that says the folder is not there (the
// transport's StatusError says so with NotFound).
func notFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound() || errors.Is(err, os.ErrNotExist)
}

// Empty reports a folder with no metadata at all.
func (h *History) Empty() bool { return len(h.Pieces) == 0 }

// HasCheckpoint reports whether a checkpoint of moment stamp exists.
func (h *History) HasCheckpoint(stamp string) bool { _, ok := h.checkpoints[stamp]; return ok }

// Newest is the newest moment, "" when there is none; it needs no read.
func (h *History) Newest() string {
	newest := ""
	for _, p := range h.Pieces {
		newest = max(newest, p.Last)
	}
	return newest
}

// Moments lists every moment that can be asked for, oldest first (the
// moments inside segments are read from them).
func (h *History) Moments(ctx context.Context) ([]string, error) {
	set := map[string]bool{}
	for _, p := range h.Pieces {
		if p.Kind == SegmentPiece {
			if err := h.load(ctx, p); err != nil {
				continue // a damaged segment hides its moments; a restore through it reports the gap
			}
			continue
		}
		set[p.First] = true
	}
	for t := range h.records {
		set[t] = true
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// load reads one journal or segment, keeping each moment's best record:
// a segment's over a journal file's, a higher generation's over a lower.
func (h *History) load(ctx context.Context, p Piece) error {
	if h.loaded[p.Name] {
		return nil
	}
	h.loaded[p.Name] = true
	body, err := h.store.Get(ctx, h.Folder.Catalogs()+"/"+p.Name)
	if err != nil {
		return err
	}
	defer body.Close()
	gen := p.Gen
	if p.Kind == JournalPiece {
		gen = -1
	}
	return ReadJournal(body, func(r Record) error {
		if old, ok := h.recordGen[r.Time]; !ok || gen > old {
			h.records[r.Time], h.recordGen[r.Time], h.recordFrom[r.Time] = r, gen, p.Name
		}
		return nil
	})
}

// record finds the record of moment t, reading the pieces that cover it.
func (h *History) record(ctx context.Context, t string) (Record, bool) {
	for _, p := range h.Pieces {
		if p.Kind != CheckpointPiece && p.First <= t && t <= p.Last {
			_ = h.load(ctx, p) // a damaged piece is a missing record
		}
	}
	r, ok := h.records[t]
	return r, ok
}

// LockedError means an encrypted folder was asked for without its key
// (Wrong false), or with a passphrase that is not its own (Wrong true).
type LockedError struct {
	Folder Folder
	Wrong  bool
}

func (e *LockedError) Error() string {
	if e.Wrong {
		return fmt.Sprintf("the passphrase does not open the encrypted folder %s/%s", e.Folder.Device, e.Folder.Name)
	}
	return fmt.Sprintf("%s/%s is encrypted: its passphrase is needed", e.Folder.Device, e.Folder.Name)
}

// GapError is a moment whose history cannot be followed back to a
// checkpoint: a record is missing or damaged on the server.
type GapError struct {
	Folder   Folder
	Missing  string   // the moment whose record is missing
	Affected []string // the moments that depend on it (up to the next checkpoint)
}

func (e *GapError) Error() string {
	first, last := e.Missing, e.Missing
	if len(e.Affected) > 0 {
		first, last = e.Affected[0], e.Affected[len(e.Affected)-1]
	}
	return fmt.Sprintf("the backup history of %s/%s is missing the record of the moment %s (damaged or removed on the server): "+
		"%d moments from %s to %s cannot be restored exactly; the moments before it and from the next full checkpoint on can",
		e.Folder.Device, e.Folder.Name, e.Missing, len(e.Affected), first, last)
}

// Chain returns the checkpoint m builds on and the records from it to m,
// oldest first. A record that is missing or damaged is a *GapError naming
// the moments it affects: a restore is never silently wrong.
func (h *History) Chain(ctx context.Context, m string) (base string, recs []Record, err error) {
	return h.chain(ctx, m, false)
}

// Root is Chain back to where the journal records start: it passes the
// checkpoints that are also records (written to speed restores up) and
// stops at one that is not (the folder's first moment, or a catalog of a
// Kumo before journals). Compacting the history needs the whole chain.
func (h *History) Root(ctx context.Context, m string) (base string, recs []Record, err error) {
	return h.chain(ctx, m, true)
}

func (h *History) chain(ctx context.Context, m string, toRoot bool) (base string, recs []Record, err error) {
	for cur := m; ; {
		if h.HasCheckpoint(cur) {
			if !toRoot {
				return cur, reversed(recs), nil
			}
			if _, ok := h.record(ctx, cur); !ok {
				return cur, reversed(recs), nil
			}
		}
		r, ok := h.record(ctx, cur)
		if !ok || r.Prev == "" {
			return "", nil, h.gap(ctx, cur)
		}
		recs = append(recs, r) // newest first until the end
		cur = r.Prev
	}
}

func reversed(recs []Record) []Record {
	slices.Reverse(recs)
	return recs
}

// Record is the best record of moment t read so far.
func (h *History) Record(t string) (Record, bool) { r, ok := h.records[t]; return r, ok }

// Origin is the name of the piece the best record of moment t came from,
// and that piece's generation (-1 for a journal file).
func (h *History) Origin(t string) (string, int) { return h.recordFrom[t], h.recordGen[t] }

func (h *History) gap(ctx context.Context, missing string) error {
	moments, _ := h.Moments(ctx)
	next := ""
	for stamp := range h.checkpoints {
		if stamp > missing && (next == "" || stamp < next) {
			next = stamp
		}
	}
	g := &GapError{Folder: h.Folder, Missing: missing}
	for _, t := range moments {
		if t >= missing && (next == "" || t < next) {
			g.Affected = append(g.Affected, t)
		}
	}
	return g
}

// State calls fn with every entry of the folder as it was at moment m,
// in no particular order: the checkpoint's entries streamed, the records'
// changes held (they are small). The error is a *GapError, a damaged
// checkpoint, or fn's.
func (h *History) State(ctx context.Context, m string, fn func(CatalogEntry) error) error {
	base, recs, err := h.Chain(ctx, m)
	if err != nil {
		return err
	}
	changed := map[string]Change{}
	for _, r := range recs {
		for _, c := range r.Changes {
			changed[c.Path] = c
		}
	}
	body, err := h.store.Get(ctx, h.Folder.Catalog(base))
	if err != nil {
		return fmt.Errorf("reading the checkpoint of %s: %w", base, err)
	}
	defer body.Close()
	if _, err := ReadCatalog(body, func(e CatalogEntry) error {
		if _, ok := changed[e.Path]; ok {
			return nil
		}
		return fn(e)
	}); err != nil {
		return fmt.Errorf("the checkpoint of %s/%s at %s: %w", h.Folder.Device, h.Folder.Name, base, err)
	}
	for _, c := range changed {
		if !c.Gone {
			if err := fn(c.CatalogEntry); err != nil {
				return err
			}
		}
	}
	return nil
}

// After calls fn with the records of the moments after t, oldest first,
// along the history of the newest moment.
func (h *History) After(ctx context.Context, t string, fn func(Record) error) error {
	newest := h.Newest()
	if newest <= t {
		return nil
	}
	_, recs, err := h.Chain(ctx, newest)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Time > t {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}
