package transport

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A server that only speaks TLS 1.0 or 1.1 is refused before a password is
// sent, and the refusal is a setup problem (no retries), not a network blip.
func TestOldTLSServerIsRefused(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		var reached atomic.Int32
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
		srv.TLS = &tls.Config{MinVersion: v, MaxVersion: v}
		srv.StartTLS()
		cl := loopbackClient(t, srv, Config{})
		_, err := cl.Quota(context.Background())
		srv.Close()
		if err == nil || reached.Load() != 0 {
			t.Fatalf("%s: a server limited to it was used (err %v, %d requests)", tls.VersionName(v), err, reached.Load())
		}
		if c := Classify(err); c != ClassSetup {
			t.Errorf("%s: %v classed %v, want ClassSetup", tls.VersionName(v), err, c)
		}
	}
}
