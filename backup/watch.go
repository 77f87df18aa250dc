package backup

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/kumo-backup/kumo/transport"
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
	// RetryDelay is the first wait before trying again after the server could
	// not be reached (30s); it doubles up to 10 minutes.
	RetryDelay time.Duration
	// SpacePoll is how often a full account is asked whether space came back (10min).
	SpacePoll time.Duration
	// FolderPoll is how often a missing or unmounted folder is looked for (10s).
	FolderPoll time.Duration
	OnPass     func(*Summary, error) // after every pass
	OnNote     func(string)          // sentences for the user from the watcher
}

func (o *WatchOptions) defaults() {
	if o.SafetyRescan <= 0 {
		o.SafetyRescan = 6 * time.Hour
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 30 * time.Second
	}
	if o.SpacePoll <= 0 {
		o.SpacePoll = 10 * time.Minute
	}
	if o.FolderPoll <= 0 {
		o.FolderPoll = 10 * time.Second
	}
}

// QuotaReader is a Remote that can say how much space is left; a full
// account is then watched for space coming back.
type QuotaReader interface {
	Quota(ctx context.Context) (transport.Quota, error)
}

// Watch backs the folder up now and then every change within seconds of it
// settling, until ctx ends. It rescans fully on schedule, after Resume, and
// after the computer wakes from sleep. Idle, it makes no request at all.
//
// What stops a pass is waited out here, without a request to spare: an
// unreachable server is tried again with growing pauses, a full account is
// asked now and then whether space came back, a refused password waits for
// Resume (new credentials), and a missing or unmounted folder is looked for
// on disk until it is back.
func (e *Engine) Watch(ctx context.Context, o WatchOptions) error {
	o.defaults()
	for ctx.Err() == nil {
		if err := e.waitForFolder(ctx, o); err != nil {
			return nil
		}
		err := e.watchFolder(ctx, o)
		if err != nil && !FolderUnavailable(err) {
			return err
		}
	}
	return nil
}

// FolderUnavailable reports a pass stopped because the folder is missing
// or its drive looks unmounted.
func FolderUnavailable(err error) bool {
	return errors.Is(err, ErrFolderMissing) || errors.Is(err, ErrFolderUnmounted)
}

// waitForFolder returns once the folder is there, and not an unmounted
// drive's empty mount point. Looking costs no request.
func (e *Engine) waitForFolder(ctx context.Context, o WatchOptions) error {
	t := time.NewTicker(o.FolderPoll)
	defer t.Stop()
	for {
		if st, err := os.Stat(e.opts.Root); err == nil && st.IsDir() {
			if _, _, unmounted := e.mountState(st); !unmounted {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-e.resumed:
		}
	}
}

// watchFolder runs the watcher until ctx ends, or returns the error of a
// pass that found the folder gone.
func (e *Engine) watchFolder(ctx context.Context, o WatchOptions) error {
	w, err := watcher.Start(e.opts.Root, watcher.Options{Filter: e.filter, Quiet: o.Quiet, MaxDelay: o.MaxDelay,
		MaxWatches: o.MaxWatches, FallbackScan: o.FallbackScan, Logger: e.log})
	if err != nil {
		return err
	}
	defer w.Close()
	safety := time.NewTicker(o.SafetyRescan)
	defer safety.Stop()
	// A minute tick that took much longer means the computer slept.
	clock := time.NewTicker(time.Minute)
	defer clock.Stop()
	last := time.Now()
	h := &holder{e: e, o: o}
	full := true
	for {
		var sum *Summary
		var err error
		if full {
			full = false
			sum, err = e.Pass(ctx)
		}
		for sum != nil || err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if o.OnPass != nil {
				o.OnPass(sum, err)
			}
			if FolderUnavailable(err) {
				return err
			}
			if !h.wait(ctx, sum, err) {
				break // nothing to wait out
			}
			if ctx.Err() != nil {
				return nil
			}
			sum, err = e.Pass(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case b := <-w.Batches():
			sum, err := e.Sync(ctx, b)
			if ctx.Err() == nil && o.OnPass != nil {
				o.OnPass(sum, err)
			}
			if FolderUnavailable(err) {
				return err
			}
			if h.needed(sum, err) {
				full = true
			}
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

// holder waits out what stopped a pass before the next full pass.
type holder struct {
	e       *Engine
	o       WatchOptions
	backoff time.Duration
}

// needed reports whether the outcome calls for a wait and a full pass.
func (h *holder) needed(sum *Summary, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled)
	}
	if sum == nil {
		return false
	}
	for _, f := range sum.Failed {
		if transport.Classify(f.Err) == transport.ClassRetry {
			return true
		}
	}
	return false
}

// wait sleeps as long as the outcome asks and reports whether a full pass
// should follow; false means the outcome needs nothing.
func (h *holder) wait(ctx context.Context, sum *Summary, err error) bool {
	if !h.needed(sum, err) {
		h.backoff = 0
		return false
	}
	switch transport.Classify(err) {
	case transport.ClassAuth, transport.ClassSetup:
		// Only the user can fix these: wait for Resume (new credentials).
		h.sleep(ctx, 0)
	case transport.ClassQuota:
		h.waitForSpace(ctx)
	default:
		// Unreachable, or some files could not be sent for now.
		if h.backoff == 0 {
			h.backoff = h.o.RetryDelay
		} else {
			h.backoff = min(h.backoff*2, 10*time.Minute)
		}
		h.sleep(ctx, h.backoff)
	}
	return true
}

// sleep waits d (for ever when zero), ending early on Resume.
func (h *holder) sleep(ctx context.Context, d time.Duration) {
	var after <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		after = t.C
	}
	select {
	case <-ctx.Done():
	case <-after:
	case <-h.e.resumed:
	}
}

// waitForSpace asks for the quota now and then and returns when more is
// free than when the account filled up (or on Resume).
// A server that gives no figures is tried again after SpacePoll: the next
// pass's uploads are then the question.
func (h *holder) waitForSpace(ctx context.Context) {
	q := h.e.storage()
	first, err := q.Quota(ctx)
	for {
		t := time.NewTimer(h.o.SpacePoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-h.e.resumed:
			t.Stop()
			return
		case <-t.C:
		}
		now, nerr := q.Quota(ctx)
		if err != nil || nerr != nil || !now.Known || now.Available > first.Available {
			return
		}
	}
}
