package backup

import (
	"fmt"
	"sort"
	"time"
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
