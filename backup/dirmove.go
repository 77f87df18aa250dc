package backup

import (
	"context"
	"path"
	"sort"
	"strings"
)

// folderMove is a folder renamed or moved on the disk, done on the server
// as one MOVE of the folder instead of one per file.
type folderMove struct {
	from, to string
	files    []move           // the file renames it makes, recorded once it is done
	gone     map[string]Entry // entries under from not found under to: deleted, changed, or folders
}

// folderPairs lists the folder renames a file's move could be part of,
// innermost first: "photos/2024/a.jpg" to "pictures/2024/a.jpg" gives
// ("photos/2024", "pictures/2024") then ("photos", "pictures"). A file
// renamed in its own folder, or moved to or from the top, gives none.
func folderPairs(from, to string) [][2]string {
	var out [][2]string
	for {
		fd, fb := path.Split(from)
		td, tb := path.Split(to)
		if fb != tb || fd == "" || td == "" {
			return out
		}
		from, to = strings.TrimSuffix(fd, "/"), strings.TrimSuffix(td, "/")
		out = append(out, [2]string{from, to})
	}
}

// groupFolderMoves finds folders renamed or moved as a whole and takes
// their files' renames and deletions out of the plan's per-file lists into
// one folderMove each. A folder qualifies when the index knew it (and the
// server has it), the new name is new to the server, and every file the
// index had under it is either renamed to the same place under the new name
// or gone; anything else stays with the per-file way.
func (s *scanner) groupFolderMoves() {
	p, e := s.p, s.e
	type pair struct{ from, to string }
	seenPair := map[pair]bool{}
	var pairs []pair
	add := func(from, to string) {
		if pr := (pair{from, to}); !seenPair[pr] {
			seenPair[pr] = true
			pairs = append(pairs, pr)
		}
	}
	for _, m := range p.moves {
		for _, pr := range folderPairs(m.from, m.to) {
			add(pr[0], pr[1])
		}
	}
	// A folder with no files to pair (empty, or every file in it changed)
	// is still found by its inode.
	goneDirs := map[uint64]string{}
	for rel, en := range p.deletes {
		if en.isDir() && en.Inode != 0 {
			goneDirs[en.Inode] = rel
		}
	}
	for _, d := range s.newDirs {
		if from, ok := goneDirs[d.entry.Inode]; ok && d.entry.Inode != 0 {
			add(from, d.rel)
		}
	}
	if len(pairs) == 0 {
		return
	}
	sort.Slice(pairs, func(i, j int) bool { // outermost first: it takes its subfolders along
		if a, b := strings.Count(pairs[i].from, "/"), strings.Count(pairs[j].from, "/"); a != b {
			return a < b
		}
		return pairs[i].from < pairs[j].from
	})
	movesFrom := map[string]int{}
	for i, m := range p.moves {
		movesFrom[m.from] = i
	}
	taken := map[int]bool{} // indexes of p.moves now done by a folder move
	var accepted []folderMove
	for _, pr := range pairs {
		if underAny(pr.from, accepted) || underAny(pr.to, accepted) || within(pr.to, pr.from) || within(pr.from, pr.to) {
			continue
		}
		fm, ok := s.folderMove(pr.from, pr.to, movesFrom)
		if !ok {
			continue
		}
		for _, m := range fm.files {
			taken[movesFrom[m.from]] = true
		}
		for rel := range fm.gone {
			delete(p.deletes, rel)
		}
		accepted = append(accepted, fm)
	}
	if len(accepted) == 0 {
		return
	}
	kept := p.moves[:0]
	for i, m := range p.moves {
		if !taken[i] {
			kept = append(kept, m)
		}
	}
	p.moves = kept
	p.folderMoves = accepted
	e.log.Debug("folders moved as a whole", "count", len(accepted))
}

// folderMove checks one candidate: see groupFolderMoves.
func (s *scanner) folderMove(from, to string, movesFrom map[string]int) (folderMove, bool) {
	p, e := s.p, s.e
	fm := folderMove{from: from, to: to, gone: map[string]Entry{}}
	if en, ok := p.deletes[from]; !ok || !en.isDir() || !e.ix.HasDir(e.folderAt.Current(from)) {
		return fm, false // not a folder the server has, or still on the disk
	}
	if !s.dirs[to] || e.ix.HasDir(e.folderAt.Current(to)) {
		return fm, false // the new name is already on the server
	}
	fm.gone[from] = p.deletes[from]
	ok := true
	_ = e.ix.forEachPrefix(e.folder, from+"/", func(rel string, en Entry) {
		if !ok {
			return
		}
		if en.Pending != "" { // a version move left unfinished: the per-file way settles it
			ok = false
			return
		}
		if i, moved := movesFrom[rel]; moved {
			if m := p.moves[i]; m.to == to+strings.TrimPrefix(rel, from) {
				fm.files = append(fm.files, m)
			} else {
				ok = false // moved out of the folder, or elsewhere in it
			}
			return
		}
		if gone, isGone := p.deletes[rel]; isGone {
			fm.gone[rel] = gone
			return
		}
		ok = false // still on the disk under the old name: not a move of the whole folder
	})
	return fm, ok
}

// within reports whether rel is dir or under it.
func within(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

func underAny(rel string, moves []folderMove) bool {
	for _, m := range moves {
		if within(rel, m.from) || within(rel, m.to) {
			return true
		}
	}
	return false
}

// moveFolder does one folder move: the contents gone from it are first kept
// as versions under their old names (as any deletion), then the folder is
// moved with one request and the index follows. When any step fails the
// rest goes back to the per-file way, which settles whatever this left.
func (r *run) moveFolder(ctx context.Context, fm folderMove, p *plan) {
	fallBack := func(gone map[string]Entry) {
		p.moves = append(p.moves, fm.files...)
		for rel, en := range gone {
			p.deletes[rel] = en
		}
	}
	if err := r.checkPlain(ctx); err != nil {
		fallBack(fm.gone)
		return
	}
	rels := make([]string, 0, len(fm.gone))
	for rel := range fm.gone {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for i, rel := range rels {
		if en := fm.gone[rel]; !en.isDir() {
			if err := r.remove(ctx, rel, en); err != nil {
				rest := map[string]Entry{}
				for _, rel := range rels[i:] {
					rest[rel] = fm.gone[rel]
				}
				r.log.Info("a folder's deleted file could not be kept as a version; its folder is moved file by file", "file", rel, "err", err)
				fallBack(rest)
				return
			}
		}
	}
	from, to := r.folderAt.Current(fm.from), r.folderAt.Current(fm.to)
	err := r.dirs.ensure(ctx, path.Dir(to))
	if err == nil {
		err = r.remote.Move(ctx, from+"/", to+"/", false)
	}
	if err != nil && !r.folderMoveLanded(ctx, from, to) {
		r.log.Info("a renamed folder could not be moved on the server; its files are moved one by one", "from", fm.from, "to", fm.to, "err", err)
		dirs := map[string]Entry{}
		for rel, en := range fm.gone {
			if en.isDir() {
				dirs[rel] = en
			}
		}
		fallBack(dirs)
		return
	}
	if err := r.ix.moveDirs(from, to); err != nil {
		r.cancel(err)
		return
	}
	for rel, en := range fm.gone {
		if en.isDir() {
			r.w.del(rel)
		}
	}
	for _, m := range fm.files {
		r.w.del(m.from)
		r.w.put(m.to, m.entry)
	}
	r.changed.Add(1)
	r.count(func(s *Summary) { s.Moved += int64(len(fm.files)); s.FoldersMoved++ })
	r.log.Info("folder moved", "from", fm.from, "to", fm.to, "files", len(fm.files))
}

// folderMoveLanded reports whether a folder MOVE whose answer was lost did
// happen: the old name is gone and the new one is there.
func (r *run) folderMoveLanded(ctx context.Context, from, to string) bool {
	if still, err := r.remote.Exists(ctx, from+"/"); err != nil || still {
		return false
	}
	there, err := r.remote.Exists(ctx, to+"/")
	return err == nil && there
}
