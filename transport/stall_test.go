package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A server that stops reading an upload half-way would hold the worker for
// ever (http.Transport bounds no request body): the stall guard ends the
// attempt and the retry sends the file whole.
func TestStalledUploadIsRetried(t *testing.T) {
	var tries atomic.Int32
	var got []byte
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) == 1 {
			io.CopyN(io.Discard, r.Body, 64<<10)
			select { // stop reading: the client's socket buffers fill up
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(201)
	}))
	defer srv.Close()
	defer close(release)
	cl := loopbackClient(t, srv, Config{StallTimeout: 300 * time.Millisecond})
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB: more than any socket buffer
	start := time.Now()
	err := cl.Put(context.Background(), "big.bin", func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}, int64(len(content)))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("err %v, %d of %d bytes stored", err, len(got), len(content))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the stalled attempt held the upload for %v", took)
	}
	if tries.Load() != 2 {
		t.Errorf("%d attempts, want 2", tries.Load())
	}
}

// A download whose server goes quiet ends with a sentence, not a hang.
func TestStalledDownloadEnds(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	cl := loopbackClient(t, srv, Config{StallTimeout: 300 * time.Millisecond})
	start := time.Now()
	body, err := cl.Get(context.Background(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	_, err = io.ReadAll(body)
	if !errors.Is(err, ErrStalled) {
		t.Fatalf("reading a stalled download: %v, want ErrStalled", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v to notice", took)
	}
}

// Our own slowness (an upload limit, a reader that takes its time) is not
// the server stalling.
func TestSlowSenderIsNotAStall(t *testing.T) {
	srv, got := sinkServer(t)
	cl := loopbackClient(t, srv, Config{StallTimeout: 200 * time.Millisecond})
	const size = 64 << 10
	err := cl.Put(context.Background(), "slow", func() (io.ReadCloser, error) {
		return io.NopCloser(&slowReader{r: bytes.NewReader(make([]byte, size)), pause: 300 * time.Millisecond, every: 16 << 10}), nil
	}, size)
	if err != nil || got.Load() != size {
		t.Fatalf("err %v, %d bytes arrived", err, got.Load())
	}
}

// slowReader sleeps before every chunk, as a paused or paced upload does.
type slowReader struct {
	r     io.Reader
	pause time.Duration
	every int
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), s.every)])
}
