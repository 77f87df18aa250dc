package transport

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// maxDrain bounds how much of an unread response body is read before closing
// it: enough for any error page, small enough never to stall on a huge reply.
const maxDrain = 256 << 10

// wireRT is the innermost layer: it sets the User-Agent, paces bodies to the
// bandwidth caps, logs each exchange (path only, never headers), and drains
// response bodies on Close so the connection returns to the pool (gowebdav
// closes bodies without reading them).
type wireRT struct {
	next      http.RoundTripper
	userAgent string
	log       *slog.Logger
	up, down  *Bandwidth
}

func (t *wireRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", t.userAgent)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = t.up.reader(r.Context(), r.Body)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		t.log.Debug("http", "method", r.Method, "host", r.URL.Host, "path", r.URL.EscapedPath(), "err", err, "took", time.Since(start))
		return nil, err
	}
	t.log.Debug("http", "method", r.Method, "host", r.URL.Host, "path", r.URL.EscapedPath(), "status", resp.StatusCode, "took", time.Since(start))
	resp.Body = &drainingBody{t.down.reader(r.Context(), resp.Body)}
	return resp, nil
}

type drainingBody struct{ io.ReadCloser }

func (b *drainingBody) Close() error {
	_, _ = io.CopyN(io.Discard, b.ReadCloser, maxDrain)
	return b.ReadCloser.Close()
}
