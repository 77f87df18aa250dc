package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// ErrStalled is an exchange in which nothing moved for the stall timeout: the
// server stopped reading the upload, or stopped sending its answer.
var ErrStalled = errors.New("the server stopped responding")

// stallRT cancels an exchange when no byte moved either way for timeout.
// Time spent in our own code (reading the upload from disk, pacing, a
// paused engine, the caller handling the answer) does not count: only time
// the network kept us waiting does.
// It also bounds the wait for the answer's headers (so http.Transport's
// ResponseHeaderTimeout is not set), and http.Transport has no bound for
// request bodies: a server that stopped reading mid-upload held a worker.
type stallRT struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t *stallRT) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	g := &stallGuard{timeout: t.timeout}
	g.timer = time.AfterFunc(t.timeout, func() {
		cancel(fmt.Errorf("%w for %v", ErrStalled, t.timeout))
	})
	r := req.Clone(ctx)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &guardedBody{ReadCloser: r.Body, g: g}
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		g.stop()
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, ErrStalled) {
			return nil, cause
		}
		return nil, err
	}
	g.enter() // until the caller reads
	resp.Body = &guardedBody{ReadCloser: resp.Body, g: g, ctx: ctx, done: func() { g.stop(); cancel(nil) }}
	return resp, nil
}

// stallGuard is the timer of one exchange, paused while our code reads.
type stallGuard struct {
	timeout time.Duration
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (g *stallGuard) enter() {
	g.mu.Lock()
	g.timer.Stop()
	g.mu.Unlock()
}

func (g *stallGuard) leave() {
	g.mu.Lock()
	if !g.stopped {
		g.timer.Reset(g.timeout)
	}
	g.mu.Unlock()
}

func (g *stallGuard) stop() {
	g.mu.Lock()
	g.stopped = true
	g.timer.Stop()
	g.mu.Unlock()
}

// guardedBody restarts the stall timer around every read. As a response
// body it also names the stall as the cause of a read error, and ends the
// exchange on Close.
type guardedBody struct {
	io.ReadCloser
	g    *stallGuard
	ctx  context.Context
	done func()
	once sync.Once
}

func (b *guardedBody) Read(p []byte) (int, error) {
	if b.done == nil {
		// Producing the upload: our own time (pacing, a pause) does not count.
		b.g.enter()
		defer b.g.leave()
		return b.ReadCloser.Read(p)
	}
	// Reading the answer: only the time inside Read is the network's.
	b.g.leave()
	n, err := b.ReadCloser.Read(p)
	b.g.enter()
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.ctx); errors.Is(cause, ErrStalled) {
			err = cause
		}
	}
	return n, err
}

func (b *guardedBody) Close() error {
	err := b.ReadCloser.Close()
	if b.done != nil {
		b.once.Do(b.done)
	}
	return err
}
