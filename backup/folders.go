package backup

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// removeGoneFolders takes the folders that are gone from the disk out of
// the server's current tree, deepest first, so that it stays the disk's,
// folders included. A folder goes only when nothing but other gone folders
// was in it: its files were moved into the versions by this pass (or
// earlier); one still holding a file (a move that failed, a file another
// program put there) stays, as do folders left out or unreadable.
//
// A full pass looks at every folder the server has; a watcher's pass at
// those its deletions name, and the folders the server has under them.
func (e *Engine) removeGoneFolders(ctx context.Context, p *plan, all bool) (int, error) {
	prefix := e.folder + "/"
	var gone []string
	if all {
		for _, dir := range e.ix.dirsUnder(prefix) {
			rel := strings.TrimPrefix(dir, prefix)
			if p.localDirs[rel] || kept(rel, p.keptDirs) {
				continue
			}
			gone = append(gone, dir)
		}
	} else {
		for rel, en := range p.deletes {
			if !en.isDir() || !e.ix.HasDir(e.folderAt.Current(rel)) {
				continue
			}
			if _, err := os.Lstat(filepath.Join(e.opts.Root, filepath.FromSlash(rel))); !errors.Is(err, fs.ErrNotExist) {
				continue // back on the disk since the scan, or unreadable
			}
			dir := e.folderAt.Current(rel)
			gone = append(gone, dir)
			gone = append(gone, e.ix.dirsUnder(dir+"/")...)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	sort.Slice(gone, func(i, j int) bool { // children before their parents
		if a, b := strings.Count(gone[i], "/"), strings.Count(gone[j], "/"); a != b {
			return a > b
		}
		return gone[i] > gone[j]
	})
	gone = slices.Compact(gone) // a watcher's pass may name a folder and one under it
	goneSet := map[string]bool{}
	for _, d := range gone {
		goneSet[d] = true
	}
	removed := 0
	for _, dir := range gone {
		if ctx.Err() != nil {
			return removed, ctx.Err()
		}
		infos, err := e.remote.List(ctx, dir)
		switch {
		case isNotFound(err):
			if err := e.ix.forgetDir(dir); err != nil {
				return removed, err
			}
			continue
		case err != nil:
			return removed, err
		}
		holds := false
		for _, fi := range infos {
			if !fi.IsDir() || !goneSet[path.Join(dir, fi.Name())] {
				holds = true // a file, or a folder Kumo does not know gone
			}
		}
		if holds {
			continue
		}
		if err := e.remote.Delete(ctx, dir+"/"); err != nil {
			return removed, err
		}
		if err := e.ix.forgetDir(dir); err != nil {
			return removed, err
		}
		e.log.Info("folder gone from the disk, taken out of the current tree", "folder", dir)
		removed++
	}
	return removed, nil
}

// kept reports whether rel is, or is under, one of dirs.
func kept(rel string, dirs []string) bool {
	return slices.ContainsFunc(dirs, func(d string) bool { return within(rel, d) })
}
