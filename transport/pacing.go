package transport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Adaptive parallelism's defaults: where it starts and how far it may grow.
const (
	DefaultStartUploads   = 4
	DefaultCeilingUploads = 16
)

// largeUpload is the size from which a file is bandwidth-bound: more of
// them at once would only split the same link.
const largeUpload = 16 << 20

// Pacing's timing. A window is judged when it has seen twice the limit in
// completions and lasted minWindow; after a change the first settle is not
// counted, so new connections' handshakes do not look like a slower server.
const (
	minWindow      = 150 * time.Millisecond
	minSettle      = 100 * time.Millisecond
	holdAfterPush  = time.Minute      // no growth after pushback
	holdAfterFlat  = time.Minute      // no growth after growing did not pay
	capAfterPush   = 10 * time.Minute // the limit that met pushback is not tried again
	slowerFactor   = 2                // answers this much slower than the fastest seen...
	slowerMargin   = 20 * time.Millisecond
	maxLatencySeen = 512
)

// Pacer decides how many uploads run at once, for every engine that shares a
// client (the server sees them all). Adaptive, it starts at Start and, while
// the uploads are small and more in flight keeps raising the rate at which
// they complete, grows up to Ceiling (doubling while the rate follows in
// full, by half once it follows only in part); at the first pushback (429,
// 503, a reset connection, answers much slower) it halves at once, and holds
// there for a while. Large files never grow it: at most Start of them run at
// once. A fixed Pacer (the user chose a number) never changes.
type Pacer struct {
	fixed          bool
	start, ceiling int
	now            func() time.Time
	log            *slog.Logger

	mu       sync.Mutex
	limit    int
	inFlight int
	large    int
	wake     chan struct{} // closed and replaced when a slot may be free
	starved  bool          // an upload waited for a slot in this window
	win      window
	probe    *probe        // the last growth, waiting to be judged
	gentle   bool          // the last growth paid only in part: grow by half, not double
	settle   time.Time     // completions before this are not counted
	noGrowth time.Time     // no growth before this
	cap      int           // one less than what last met pushback
	capUntil time.Time     // ...until this
	lastCut  time.Time     // pushback to a request sent before this echoes that cut
	fastest  time.Duration // the fastest typical answer, slowly following lasting change
}

type window struct {
	start time.Time
	done  int
	lat   []time.Duration
}

type probe struct {
	from int
	rate float64
}

// NewPacer returns an adaptive pacer (fixed 0) or one that always allows
// exactly fixed uploads at once.
func NewPacer(fixed, start, ceiling int, log *slog.Logger) *Pacer {
	if start <= 0 {
		start = DefaultStartUploads
	}
	if ceiling <= 0 {
		ceiling = DefaultCeilingUploads
	}
	ceiling = max(ceiling, start)
	p := &Pacer{start: start, ceiling: ceiling, now: time.Now, log: log, wake: make(chan struct{})}
	if fixed > 0 {
		p.fixed, p.start, p.ceiling = true, fixed, fixed
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.limit = p.start
	return p
}

// Workers is how many uploads a caller should keep ready: the most the
// pacer may allow at once.
func (p *Pacer) Workers() int { return p.ceiling }

// Limit is how many uploads may run at once now.
func (p *Pacer) Limit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit
}

// Slot is one upload's permission to run; Done gives it back.
type Slot struct {
	p     *Pacer
	large bool
	once  sync.Once
}

// Acquire waits for a slot for an upload of size bytes (0 for a request
// without a body: a folder, a rename).
func (p *Pacer) Acquire(ctx context.Context, size int64) (*Slot, error) {
	large := size >= largeUpload
	if err := p.wait(ctx, large, nil); err != nil {
		return nil, err
	}
	return &Slot{p: p, large: large}, nil
}

// wait takes a slot as soon as one is free, unless ctx ends or closed is
// closed first.
func (p *Pacer) wait(ctx context.Context, large bool, closed <-chan struct{}) error {
	for {
		p.mu.Lock()
		if p.take(large) {
			p.mu.Unlock()
			return nil
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-closed:
			return errClientClosed
		}
	}
}

// wakeAll tells every waiter a slot may be free; p.mu is held.
func (p *Pacer) wakeAll() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// take grants a slot if one is free; p.mu is held.
func (p *Pacer) take(large bool) bool {
	if p.inFlight >= p.limit {
		p.starved = true
		return false
	}
	if large && p.large >= min(p.limit, p.start) {
		return false
	}
	p.inFlight++
	if large {
		p.large++
	}
	return true
}

// Done returns the slot; a second call does nothing.
func (s *Slot) Done() {
	s.once.Do(func() { s.p.release(s.large, true) })
}

// WithSlot lets the retry layer give the slot back while a request that met
// pushback waits to go again, so retries never keep the server's load above
// the lowered limit.
func WithSlot(ctx context.Context, s *Slot) context.Context {
	return context.WithValue(ctx, slotKey{}, s)
}

type slotKey struct{}

// yield waits d without the slot, then takes one again; closed ends the
// wait as the client closes.
func (s *Slot) yield(ctx context.Context, d time.Duration, closed <-chan struct{}) error {
	s.p.release(s.large, false)
	timer := time.NewTimer(d)
	defer timer.Stop()
	var err error
	select {
	case <-timer.C:
		err = s.p.wait(ctx, s.large, closed)
	case <-ctx.Done():
		err = ctx.Err()
	case <-closed:
		err = errClientClosed
	}
	if err != nil {
		s.once.Do(func() {}) // given back already: Done must not again
	}
	return err
}

func (p *Pacer) release(large, completed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	if large {
		p.large--
	} else if completed {
		p.completed()
	}
	p.wakeAll()
}

// answered records how long a small request took to be answered.
func (p *Pacer) answered(d time.Duration) {
	if p.fixed {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.win.lat) < maxLatencySeen && !p.now().Before(p.settle) {
		p.win.lat = append(p.win.lat, d)
	}
}

// isPushback is an answer or failure that means the server wants less.
func isPushback(resp *http.Response, err error) bool {
	if err != nil {
		return reset(err)
	}
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
}

// pushback is the server saying "less": the limit halves at once (from what
// is really in flight), growth stops for a while, and the limit that met it
// is not tried again for longer. Until what is in flight is down to the new
// limit the server still sees the load that met the cut, so pushback then,
// or to a request sent before the cut, is its echo, not news.
func (p *Pacer) pushback(sent time.Time, cause string) {
	if p.fixed {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if sent.Before(p.lastCut) || p.inFlight > p.limit {
		return
	}
	met := p.inFlight // what the server refused
	p.set(max(1, min(p.limit, met)/2), cause)
	capped := max(p.limit, met-1)
	if now.Before(p.capUntil) {
		capped = min(capped, p.cap)
	}
	p.cap, p.capUntil = capped, now.Add(capAfterPush)
	p.noGrowth = now.Add(holdAfterPush)
	p.gentle = true
	p.lastCut = now
	p.probe = nil
}

// completed counts one small upload and, at the end of a window, decides;
// p.mu is held.
func (p *Pacer) completed() {
	if p.fixed {
		return
	}
	now := p.now()
	if now.Before(p.settle) {
		return
	}
	if p.win.start.IsZero() {
		p.win.start = now
	}
	p.win.done++
	elapsed := now.Sub(p.win.start)
	if p.win.done < 2*p.limit || elapsed < minWindow {
		return
	}
	typical := median(p.win.lat)
	if elapsed < 2*typical {
		return
	}
	rate := float64(p.win.done) / elapsed.Seconds()
	starved := p.starved
	p.win = window{start: now}
	p.starved = false
	p.decide(now, rate, typical, starved)
}

func (p *Pacer) decide(now time.Time, rate float64, typical time.Duration, starved bool) {
	if typical > 0 {
		if p.fastest == 0 || typical < p.fastest {
			p.fastest = typical
		} else {
			p.fastest += (typical - p.fastest) / 32
		}
	}
	slow := p.fastest > 0 && typical > slowerFactor*p.fastest+slowerMargin
	if pr := p.probe; pr != nil {
		p.probe = nil
		if !starved {
			return // the queue ran dry: this window says nothing about the growth
		}
		// Growth pays when the rate rose by at least a third of what the added
		// requests would bring on a link bound only by its round trip.
		ideal := float64(p.limit)/float64(pr.from) - 1
		if rate < pr.rate*(1+ideal/3) || slow {
			p.set(pr.from, "more uploads in flight did not raise the rate")
			p.noGrowth = now.Add(holdAfterFlat)
			p.gentle = true
			return
		}
		p.gentle = rate < pr.rate*(1+ideal*2/3)
	}
	if slow && p.limit > p.start {
		p.set(max(p.start, p.limit*3/4), "answers much slower than before")
		p.noGrowth = now.Add(holdAfterFlat)
		return
	}
	ceiling := p.ceiling
	if now.Before(p.capUntil) {
		ceiling = min(ceiling, p.cap)
	}
	if !starved || p.limit >= ceiling || now.Before(p.noGrowth) {
		return
	}
	p.probe = &probe{from: p.limit, rate: rate}
	step := p.limit // double while growing pays nearly in full, as on a long link
	if p.gentle {
		step = max(1, p.limit/2)
	}
	p.set(min(ceiling, p.limit+step), "more uploads in flight raised the rate")
}

// set changes the limit; p.mu is held.
func (p *Pacer) set(limit int, cause string) {
	if limit == p.limit {
		return
	}
	p.log.Debug("pacing", "uploads at once", limit, "was", p.limit, "why", cause, "in flight", p.inFlight, "typical answer", p.fastest)
	p.limit = limit
	p.settle = p.now().Add(max(3*p.fastest, minSettle))
	p.win = window{}
	p.wakeAll()
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// paceRT tells the pacer what each try of a request met: pushback, or how
// long a small request took to be answered. It sits inside the retries, so
// every try counts, and waits for nothing itself: callers take slots.
type paceRT struct {
	next  http.RoundTripper
	pacer *Pacer
}

// smallRequest is a body whose answer time is the link's, not the upload's.
const smallRequest = 256 << 10

func (t *paceRT) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.pacer.now()
	resp, err := t.next.RoundTrip(req)
	switch pushed := isPushback(resp, err); {
	case pushed && err != nil:
		t.pacer.pushback(start, "the server reset a connection")
	case pushed:
		t.pacer.pushback(start, "the server answered "+strconv.Itoa(resp.StatusCode))
	case err == nil && req.ContentLength < smallRequest:
		t.pacer.answered(t.pacer.now().Sub(start))
	}
	return resp, err
}

// reset reports a connection the server (or a middlebox) broke mid-exchange.
func reset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
