package transport

import (
	"context"
	"io"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// Bandwidth caps bytes per second in one direction. The cap can change while
// transfers run; zero means unlimited.
type Bandwidth struct {
	lim   *rate.Limiter
	limit atomic.Int64
}

func newBandwidth(bytesPerSec int64) *Bandwidth {
	b := &Bandwidth{lim: rate.NewLimiter(rate.Inf, 0)}
	b.Set(bytesPerSec)
	return b
}

// Set changes the cap; zero or less removes it.
func (b *Bandwidth) Set(bytesPerSec int64) {
	if bytesPerSec <= 0 {
		b.limit.Store(0)
		b.lim.SetLimit(rate.Inf)
		return
	}
	b.limit.Store(bytesPerSec)
	// A burst of a quarter second keeps the flow smooth without long stalls.
	b.lim.SetBurst(int(max(bytesPerSec/4, 16<<10)))
	b.lim.SetLimit(rate.Limit(bytesPerSec))
}

// Limit returns the current cap in bytes per second, 0 when unlimited.
func (b *Bandwidth) Limit() int64 { return b.limit.Load() }

// reader paces r; reads are cut to the burst size so WaitN can always succeed.
func (b *Bandwidth) reader(ctx context.Context, r io.ReadCloser) io.ReadCloser {
	return &pacedReader{ReadCloser: r, b: b, ctx: ctx}
}

type pacedReader struct {
	io.ReadCloser
	b   *Bandwidth
	ctx context.Context
}

func (p *pacedReader) Read(buf []byte) (int, error) {
	if p.b.Limit() == 0 {
		return p.ReadCloser.Read(buf)
	}
	if burst := p.b.lim.Burst(); len(buf) > burst {
		buf = buf[:burst]
	}
	n, err := p.ReadCloser.Read(buf)
	if n > 0 {
		if werr := p.b.lim.WaitN(p.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}
