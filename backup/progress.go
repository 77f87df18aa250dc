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

// gate holds workers (and uploads mid-stream) while the engine is paused.
type gate struct {
	mu     sync.Mutex
	paused bool
	open   chan struct{} // closed while not paused
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.paused {
		g.paused = true
		g.open = make(chan struct{})
	}
}

func (g *gate) resume() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused {
		g.paused = false
		close(g.open)
	}
}

func (g *gate) isPaused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// wait returns at once unless paused; then when resumed or ctx ends.
func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	select {
	case <-open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
