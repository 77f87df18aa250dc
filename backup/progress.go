package backup

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Progress is a snapshot of a pass for the UI and the command line.
type Progress struct {
	FilesDone, FilesTotal int64
	BytesDone, BytesTotal int64
	Speed                 float64       // bytes per second since the pass began
	ETA                   time.Duration // 0 when unknown
	Current               []string      // files being uploaded now
	Errors                int
	Paused                bool
	Done                  bool
}

// tracker counts a pass's work as it happens.
type tracker struct {
	start                  time.Time
	filesDone, bytesDone   atomic.Int64
	filesTotal, bytesTotal int64
	errors                 atomic.Int64

	mu      sync.Mutex
	current map[string]bool
}

func newTracker(files, bytes int64) *tracker {
	return &tracker{start: time.Now(), filesTotal: files, bytesTotal: bytes, current: map[string]bool{}}
}

func (t *tracker) begin(rel string) {
	t.mu.Lock()
	t.current[rel] = true
	t.mu.Unlock()
}

func (t *tracker) end(rel string) {
	t.mu.Lock()
	delete(t.current, rel)
	t.mu.Unlock()
}

func (t *tracker) snapshot(paused bool) Progress {
	p := Progress{
		FilesDone: t.filesDone.Load(), FilesTotal: t.filesTotal,
		BytesDone: t.bytesDone.Load(), BytesTotal: t.bytesTotal,
		Errors: int(t.errors.Load()), Paused: paused,
	}
	if secs := time.Since(t.start).Seconds(); secs > 0 {
		p.Speed = float64(p.BytesDone) / secs
	}
	if p.Speed > 0 && p.BytesTotal > p.BytesDone {
		p.ETA = time.Duration(float64(p.BytesTotal-p.BytesDone) / p.Speed * float64(time.Second))
	}
	t.mu.Lock()
	for rel := range t.current {
		p.Current = append(p.Current, rel)
	}
	t.mu.Unlock()
	sort.Strings(p.Current)
	return p
}

// Hold is what a folder's uploads wait for: everything (paused, a low
// battery, a metered connection without an allowance), or only files larger
// than a size (a metered connection with an allowance). Folders, renames and
// deletions are size 0: an allowance lets them through.
type Hold struct {
	All   bool
	Above int64 // with All false: files larger than this wait; negative: none do
}

// NoHold lets everything go.
var NoHold = Hold{Above: -1}

// Holds reports whether a file of size waits under h.
func (h Hold) Holds(size int64) bool { return h.All || h.Above >= 0 && size > h.Above }

// gate holds workers (and uploads mid-stream) while a hold says so.
type gate struct {
	mu      sync.Mutex
	hold    Hold
	changed chan struct{} // closed (and replaced) whenever the hold changes
}

func newGate() *gate { return &gate{hold: NoHold, changed: make(chan struct{})} }

// set changes the hold and reports whether it let anything go that it held.
func (g *gate) set(h Hold) (eased bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if h == g.hold {
		return false
	}
	old := g.hold
	g.hold = h
	close(g.changed)
	g.changed = make(chan struct{})
	return old.All && !h.All || old.Above >= 0 && (h.Above < 0 || h.Above > old.Above)
}

func (g *gate) current() Hold {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hold
}

func (g *gate) isPaused() bool { return g.current().All }

// wait returns once a file of size may go, or when ctx ends.
func (g *gate) wait(ctx context.Context, size int64) error {
	for {
		g.mu.Lock()
		held, changed := g.hold.Holds(size), g.changed
		g.mu.Unlock()
		if !held {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
