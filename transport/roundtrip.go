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

// roundTripper sets the User-Agent, logs each request without headers, and
// drains response bodies on Close so the connection goes back to the pool
// (gowebdav closes bodies without reading them).
type roundTripper struct {
	next      http.RoundTripper
	userAgent string
	log       *slog.Logger
}

func (t *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", t.userAgent)
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.log.Debug("http", "method", req.Method, "path", req.URL.Path, "err", err, "took", time.Since(start))
		return nil, err
	}
	t.log.Debug("http", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "took", time.Since(start))
	resp.Body = &drainingBody{resp.Body}
	return resp, nil
}

type drainingBody struct{ io.ReadCloser }

func (b *drainingBody) Close() error {
	_, _ = io.CopyN(io.Discard, b.ReadCloser, maxDrain)
	return b.ReadCloser.Close()
}
