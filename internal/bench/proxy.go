//go:build bench

// Package bench measures Kumo against rclone on the same servers in the same
// run (make bench). Nothing here runs in make test.
package bench

import (
	"io"
	"net"
	"sync"
	"time"
)

// delayProxy forwards TCP connections to target, holding every chunk for
// oneWay in each direction and, with a rate, sending no faster than that
// in each direction over all connections together: a link with 2*oneWay
// round-trip time and that bandwidth, like a far-away server.
type delayProxy struct {
	ln       net.Listener
	target   string
	oneWay   time.Duration
	up, down *lane
	wg       sync.WaitGroup
}

// lane is one direction of the link: bytes wait their turn behind what was
// sent before them, on any connection.
type lane struct {
	mu          sync.Mutex
	bytesPerSec float64 // 0: loopback speed
	free        time.Time
}

// maxQueue is the link's buffer, in time: a reader that would queue more
// waits, so TCP's own flow control sees the bottleneck.
const maxQueue = 100 * time.Millisecond

// send books n bytes on the lane and returns when they have left it.
func (l *lane) send(n int) (left time.Time, wait time.Duration) {
	now := time.Now()
	if l.bytesPerSec == 0 {
		return now, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	start := l.free
	if start.Before(now) {
		start = now
	}
	l.free = start.Add(time.Duration(float64(n) / l.bytesPerSec * float64(time.Second)))
	return l.free, l.free.Sub(now) - maxQueue
}

// startLink proxies to target with oneWay delay each way and a cap in bits
// per second (0: none).
func startLink(target string, oneWay time.Duration, bitsPerSec float64) (*delayProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &delayProxy{ln: ln, target: target, oneWay: oneWay,
		up: &lane{bytesPerSec: bitsPerSec / 8}, down: &lane{bytesPerSec: bitsPerSec / 8}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *delayProxy) Addr() string { return p.ln.Addr().String() }

func (p *delayProxy) Close() {
	p.ln.Close()
	p.wg.Wait()
}

func (p *delayProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		go p.pipe(c, s, p.up)
		go p.pipe(s, c, p.down)
	}
}

type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each chunk delivered oneWay after it left the lane.
func (p *delayProxy) pipe(src, dst net.Conn, l *lane) {
	q := make(chan chunk, 4096)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				left, wait := l.send(n)
				q <- chunk{buf[:n], left.Add(p.oneWay)}
				if wait > 0 {
					time.Sleep(wait)
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
	io.Copy(io.Discard, src)
	src.Close()
}
