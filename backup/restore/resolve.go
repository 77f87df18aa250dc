package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/kumo-backup/kumo/backup/format"
)

// errNoCopy means no copy of a content is left on the server.
var errNoCopy = errors.New("no copy of this content is left on the server (retention may have removed it)")

// attempt tries one remote copy: done when its bytes were good, an error
// only when nothing else should be tried (cancelled, the local disk failed).
type attempt func(remote string) (done bool, err error)

// locate offers try the places f's content can be, cheapest first (see
// docs/remote-layout.md): its current copy if the newest catalog still has
// it, a version named "<since>~*", then the same content where a later
// catalog moved it. Each copy's bytes are checked by try, so a wrong guess
// costs a download, never a wrong file.
func (v *View) locate(ctx context.Context, f File, try attempt) error {
	tried := map[string]bool{}
	offer := func(remote string) (bool, error) {
		if tried[remote] {
			return false, nil
		}
		tried[remote] = true
		return try(remote)
	}
	newest, err := v.newest(ctx)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	} // a damaged newest catalog leaves the versions to search

	if e, ok := newest[f.Path]; ok && e.Since == f.Since && (e.SHA256 == "" || e.SHA256 == f.SHA256) {
		if done, err := offer(v.paths.Current(f.Path)); done || err != nil {
			return err
		}
	}
	if done, err := v.offerVersions(ctx, f.Path, f.Since, offer); done || err != nil {
		return err
	}
	if f.Since != "" && f.SHA256 != "" {
		for _, e := range v.movedLater(ctx) {
			if e.Path == f.Path || e.Since != f.Since || e.SHA256 != f.SHA256 || CheckRel(e.Path) != nil {
				continue
			}
			if n, ok := newest[e.Path]; ok && n.Since == f.Since {
				if done, err := offer(v.paths.Current(e.Path)); done || err != nil {
					return err
				}
			}
			if done, err := v.offerVersions(ctx, e.Path, f.Since, offer); done || err != nil {
				return err
			}
		}
	}
	// Last resort: whatever is at the path now, used only if its hash matches.
	if done, err := offer(v.paths.Current(f.Path)); done || err != nil {
		return err
	}
	return errNoCopy
}

// offerVersions offers the versions of rel whose content became current at since.
func (v *View) offerVersions(ctx context.Context, rel, since string, offer attempt) (bool, error) {
	if since == "" {
		return false, nil
	}
	infos, err := v.versionsOf(ctx, rel)
	if err != nil {
		return false, nil // an unreadable folder is a place the content is not
	}
	for _, fi := range infos {
		s, _, ok := format.ParseVersionName(fi.Name())
		if !ok || s != since || fi.IsDir() {
			continue
		}
		if done, err := offer(path.Join(v.paths.Versions(rel), fi.Name())); done || err != nil {
			return done, err
		}
	}
	return false, nil
}

// versionsOf lists the versions folder of rel; none is an empty list.
func (v *View) versionsOf(ctx context.Context, rel string) ([]os.FileInfo, error) {
	return v.listDir(ctx, v.paths.Versions(rel))
}

// listDir lists (once) a remote folder; a missing one is empty.
func (v *View) listDir(ctx context.Context, dir string) ([]os.FileInfo, error) {
	v.mu.Lock()
	infos, ok := v.dirs[dir]
	v.mu.Unlock()
	if ok {
		return infos, nil
	}
	infos, err := v.remote.List(ctx, dir)
	if err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	v.mu.Lock()
	v.dirs[dir] = infos
	v.mu.Unlock()
	return infos, nil
}

// newest maps the newest moment's paths to their entries: what the
// current copies on the server are.
func (v *View) newest(ctx context.Context) (map[string]format.CatalogEntry, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.newestIdx != nil {
		return v.newestIdx, nil
	}
	idx := map[string]format.CatalogEntry{}
	if err := v.history.State(ctx, v.history.Newest(), func(e format.CatalogEntry) error { idx[e.Path] = e; return nil }); err != nil {
		return nil, err
	}
	v.newestIdx = idx
	return idx, nil
}

// movedLater lists what the moments after this snapshot put anywhere: a
// content renamed after the snapshot is found at its new path or in its
// versions. A damaged later record only hides renames.
func (v *View) movedLater(ctx context.Context) []format.CatalogEntry {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.movedRead {
		v.movedRead = true
		_ = v.history.After(ctx, v.Snapshot.Stamp, func(r format.Record) error {
			for _, c := range r.Changes {
				if !c.Gone {
					v.moved = append(v.moved, c.CatalogEntry)
				}
			}
			return nil
		})
	}
	return v.moved
}
