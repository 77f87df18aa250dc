package backup

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"time"

	"github.com/kumo-backup/kumo/backup/format"
)

// compact brings the folder's history on the server to the moments
// retention keeps, with the least writing: the record of a kept moment
// after dropped ones takes over their changes (and names the kept moment
// before them), records are packed into one segment per day (a day's
// segment is rewritten only when one of its moments changed), and the
// checkpoints other than the history's start and a newest one worth its
// size are removed. New segments are written before anything is removed:
// a crash in between leaves both, and readers take the newer generation.
// It returns how many files it removed.
func (e *Engine) compact(ctx context.Context, now time.Time) (int, error) {
	h, err := format.OpenHistory(ctx, e.remote, e.folderAt)
	if err != nil || h.Empty() {
		return 0, err
	}
	moments, err := h.Moments(ctx)
	if err != nil || len(moments) == 0 {
		return 0, err
	}
	newest := moments[len(moments)-1]
	base, recs, err := h.Root(ctx, newest)
	var gap *format.GapError
	if errors.As(err, &gap) {
		e.log.Warn("the server's history has a gap; it is left as it is", "folder", e.folder, "err", err)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	times := make([]time.Time, len(moments))
	for i, m := range moments {
		times[i], _ = format.ParseStamp(m)
	}
	drop := e.opts.Retention.prune(times, now)
	dropped := map[string]bool{}
	for i, m := range moments {
		if drop[i] && m != newest && m != base {
			dropped[m] = true
		}
	}

	// The kept moments' records, with the changes of the dropped ones merged in.
	var kept []format.Record
	merged := map[string]format.Change{}
	prev := base
	for _, r := range recs {
		for _, c := range r.Changes {
			merged[c.Path] = c
		}
		if dropped[r.Time] {
			continue
		}
		rec := format.Record{JournalHeader: format.JournalHeader{Device: e.folderAt.Device, Folder: e.folderAt.Name, Time: r.Time, Prev: prev}}
		for _, c := range merged {
			rec.Changes = append(rec.Changes, c)
		}
		sort.Slice(rec.Changes, func(i, j int) bool { return rec.Changes[i].Path < rec.Changes[j].Path })
		kept = append(kept, rec)
		merged, prev = map[string]format.Change{}, r.Time
	}

	// The days whose segment must be (re)written.
	onChain := map[string]bool{}
	for _, r := range recs {
		onChain[r.Time] = true
	}
	day := func(stamp string) string { return stamp[:8] }
	today := day(format.Stamp(now))
	redo := map[string]bool{}
	for _, r := range kept {
		if old, ok := h.Record(r.Time); !ok || old.Prev != r.Prev {
			redo[day(r.Time)] = true
		} else if _, gen := h.Origin(r.Time); gen < 0 && day(r.Time) < today {
			redo[day(r.Time)] = true // a journal file of a day that is over: packed once
		}
	}
	for m := range dropped {
		if onChain[m] {
			redo[day(m)] = true
		}
	}
	gens := map[string]int{}
	for _, p := range h.Pieces {
		if p.Kind == format.SegmentPiece {
			gens[day(p.First)] = max(gens[day(p.First)], p.Gen+1)
		}
	}
	written := map[string]bool{}
	for d := range redo {
		var recsOfDay []format.Record
		for _, r := range kept {
			if day(r.Time) == d {
				recsOfDay = append(recsOfDay, r)
			}
		}
		if len(recsOfDay) == 0 {
			continue // every moment of the day was dropped: its old pieces go below
		}
		var buf bytes.Buffer
		jw := format.NewJournalWriter(&buf)
		for _, r := range recsOfDay {
			if err := jw.Write(r); err != nil {
				return 0, err
			}
		}
		if err := jw.Close(); err != nil {
			return 0, err
		}
		name := e.folderAt.Segment(recsOfDay[0].Time, recsOfDay[len(recsOfDay)-1].Time, gens[d])
		if err := e.remote.Put(ctx, name, uploadBytes(buf.Bytes()), int64(buf.Len())); err != nil {
			return 0, err
		}
		written[name] = true
		gens[d]++ // the segment just written is the day's newest
	}

	// What no longer serves: the pieces of rewritten days, records of
	// moments no longer kept, and checkpoints but the start and the newest
	// one, when reading the records since the start would cost more.
	var records int64
	newestCheckpoint := ""
	for _, p := range h.Pieces {
		switch {
		case p.Kind == format.CheckpointPiece && p.First > base && !dropped[p.First]:
			newestCheckpoint = max(newestCheckpoint, p.First)
		case p.Kind != format.CheckpointPiece:
			records += p.Size
		}
	}
	baseSize := int64(0)
	for _, p := range h.Pieces {
		if p.Kind == format.CheckpointPiece && p.First == base {
			baseSize = p.Size
		}
	}
	removed := 0
	for _, p := range h.Pieces {
		name := e.folderAt.Catalogs() + "/" + p.Name
		var obsolete bool
		switch p.Kind {
		case format.CheckpointPiece:
			switch {
			case p.First < base: // a catalog from before journals: a moment of its own
				obsolete = dropped[p.First]
			case p.First != base:
				obsolete = dropped[p.First] || p.First != newestCheckpoint || records <= 2*baseSize
			}
		case format.SegmentPiece:
			obsolete = redo[day(p.First)] && !written[name] || p.Gen+1 < gens[day(p.First)]
		default:
			obsolete = redo[day(p.First)] || dropped[p.First]
		}
		if obsolete {
			if err := e.remote.Delete(ctx, name); err != nil {
				return removed, err
			}
			removed++
		}
	}
	if newestCheckpoint == "" && records > 2*baseSize && len(e.ix.Unjournaled(e.folder)) == 0 {
		// The records since the start outweigh a checkpoint: write one of
		// the newest moment, from the index, which holds it.
		if err := e.checkpoint(ctx, newest, false); err != nil {
			e.log.Warn("no checkpoint of the newest moment", "err", err)
		}
	}
	return removed, nil
}
