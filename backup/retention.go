package backup

import (
	"context"
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/kumo-backup/kumo/backup/format"
)

// Retention says how long replaced and deleted content is kept, counted
// from when it stopped being current: every version for KeepAll, then the
// last one of each day until Daily, then the last one of each week until
// Weekly (zero: forever). A deleted file's last content is a version too, so
// it stays on the server for at least KeepAll after the deletion.
type Retention struct {
	KeepAll, Daily, Weekly time.Duration
}

// DefaultRetention is what a cautious user would choose: two weeks of every
// version, then daily for three months, then weekly for good.
var DefaultRetention = Retention{KeepAll: 14 * 24 * time.Hour, Daily: 90 * 24 * time.Hour, Weekly: 0}

// prune returns which of the given times (when each version was superseded)
// to delete at now.
func (r Retention) prune(superseded []time.Time, now time.Time) []bool {
	order := make([]int, len(superseded))
	for i := range order {
		order[i] = i
	}
	// Newest first, so the first seen in a bucket is the one kept.
	sort.Slice(order, func(a, b int) bool { return superseded[order[a]].After(superseded[order[b]]) })
	drop := make([]bool, len(superseded))
	days, weeks := map[string]bool{}, map[string]bool{}
	for _, i := range order {
		t := superseded[i]
		age := now.Sub(t)
		switch {
		case age <= r.KeepAll:
		case age <= r.Daily:
			day := t.UTC().Format("2006-01-02")
			drop[i] = days[day]
			days[day] = true
		case r.Weekly == 0 || age <= r.Weekly:
			y, w := t.UTC().ISOWeek()
			week := fmt.Sprintf("%d-W%02d", y, w)
			drop[i] = weeks[week]
			weeks[week] = true
		default:
			drop[i] = true
		}
	}
	return drop
}

// pruneEvery is how often retention runs.
const pruneEvery = 24 * time.Hour

// prune deletes versions retention no longer keeps, and compacts the
// folder's history to the moments it keeps (compact.go).
func (e *Engine) prune(ctx context.Context) (int, error) {
	now := e.now()
	if last, err := format.ParseStamp(e.ix.Meta(e.folder, "pruned")); err == nil && now.Sub(last) < pruneEvery {
		return 0, nil
	}
	byFile := map[string][]string{}
	for name := range e.ix.Versions(e.folderAt.AllVersions() + "/") {
		byFile[path.Dir(name)] = append(byFile[path.Dir(name)], name)
	}
	var gone []string
	for _, names := range byFile {
		gone = append(gone, e.expired(names, now)...)
	}
	for _, name := range gone {
		if err := e.remote.Delete(ctx, name); err != nil {
			return 0, err
		}
	}
	if err := e.ix.ForgetVersions(gone); err != nil {
		return 0, err
	}
	n, err := e.compact(ctx, now)
	if err != nil {
		return len(gone) + n, err
	}
	return len(gone) + n, e.ix.SetMeta(e.folder, "pruned", format.Stamp(now))
}

// expired picks the versions of one file that retention drops.
func (e *Engine) expired(names []string, now time.Time) []string {
	var kept []string
	var times []time.Time
	for _, n := range names {
		_, superseded, ok := format.ParseVersionName(path.Base(n))
		t, err := format.ParseStamp(superseded)
		if !ok || err != nil {
			continue // not Kumo's naming: never delete what is not understood
		}
		kept, times = append(kept, n), append(times, t)
	}
	var gone []string
	for i, drop := range e.opts.Retention.prune(times, now) {
		if drop {
			gone = append(gone, kept[i])
		}
	}
	return gone
}
