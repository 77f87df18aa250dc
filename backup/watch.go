package backup

import (
	"context"
	"time"

	"github.com/kumo-backup/kumo/watcher"
)

// WatchOptions tunes live backup; zero values take the defaults.
type WatchOptions struct {
	Quiet, MaxDelay time.Duration // see watcher.Options
	MaxWatches      int
	FallbackScan    time.Duration
	// SafetyRescan is how often a full pass runs anyway (6h): it catches what
	// no notice reported (network drives, changes while Kumo was stopped).
	SafetyRescan time.Duration
	OnPass       func(*Summary, error) // after every pass
	OnNote       func(string)          // sentences for the user from the watcher
}

// Watch backs the folder up now and then every change within seconds of it
// settling, until ctx ends. It rescans fully on schedule, after Resume, and
// after the computer wakes from sleep. Idle, it makes no request at all.
func (e *Engine) Watch(ctx context.Context, o WatchOptions) error {
	w, err := watcher.Start(e.opts.Root, watcher.Options{Filter: e.filter, Quiet: o.Quiet, MaxDelay: o.MaxDelay,
		MaxWatches: o.MaxWatches, FallbackScan: o.FallbackScan, Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	if o.SafetyRescan <= 0 {
		o.SafetyRescan = 6 * time.Hour
	}
	report := func(s *Summary, err error) {
		if o.OnPass != nil && ctx.Err() == nil {
			o.OnPass(s, err)
		}
	}
	safety := time.NewTicker(o.SafetyRescan)
	defer safety.Stop()
	// A minute tick that took much longer means the computer slept.
	clock := time.NewTicker(time.Minute)
	defer clock.Stop()
	last := time.Now()
	full := true
	for {
		if full {
			full = false
			report(e.Pass(ctx))
		}
		select {
		case <-ctx.Done():
			return nil
		case b := <-w.Batches():
			report(e.Sync(ctx, b))
		case note := <-w.Notes():
			if o.OnNote != nil {
				o.OnNote(note)
			}
		case <-safety.C:
			full = true
		case <-e.resumed:
			full = true
		case now := <-clock.C:
			if now.Round(0).Sub(last.Round(0)) > 3*time.Minute { // wall clock, not monotonic
				full = true
			}
			last = now
		}
	}
}
