package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy says how often and how patiently a failed request is tried again.
type RetryPolicy struct {
	Attempts      int           // total tries, the first included; 5 when zero
	BaseDelay     time.Duration // first backoff; 500ms when zero
	MaxDelay      time.Duration // backoff cap; 30s when zero
	MaxRetryAfter time.Duration // longest Retry-After honoured; 5min when zero
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 5 * time.Minute
	}
	return p
}

// backoff is exponential with "equal jitter": half fixed, half random.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay << min(attempt, 20)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// idempotent methods may be sent again whatever happened to the first try.
// MKCOL is included: a repeat answers 405, which means the folder exists.
var idempotent = map[string]bool{
	"GET": true, "HEAD": true, "OPTIONS": true, "PUT": true, "DELETE": true,
	"PROPFIND": true, "PROPPATCH": true, "MKCOL": true,
}

// retryStatus lists answers worth another try (rclone's list).
var retryStatus = map[int]bool{423: true, 425: true, 429: true, 500: true, 502: true, 503: true, 504: true, 509: true}

// retryRT sends a request again on temporary failures. A request whose body
// cannot be replayed (no GetBody) is never retried after its body was sent.
type retryRT struct {
	next   http.RoundTripper
	policy RetryPolicy
	done   <-chan struct{} // closed when the client is closed
}

func (t *retryRT) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		resp, err := t.next.RoundTrip(r)
		wait, again := t.shouldRetry(req, resp, err, attempt)
		if !again {
			return resp, err
		}
		pushback := isPushback(resp, err)
		if resp != nil {
			resp.Body.Close()
		}
		if slot, ok := req.Context().Value(slotKey{}).(*Slot); ok && pushback {
			if err := slot.yield(req.Context(), wait, t.done); err != nil {
				return nil, err
			}
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-t.done:
			timer.Stop()
			return nil, errClientClosed
		}
	}
}

func (t *retryRT) shouldRetry(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if attempt+1 >= t.policy.Attempts || req.Context().Err() != nil {
		return 0, false
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if err != nil {
		if permanent(err) {
			return 0, false
		}
		// Nothing was sent if the connection never opened: always safe.
		if notConnected(err) || (idempotent[req.Method] && replayable) {
			return t.policy.backoff(attempt), true
		}
		return 0, false
	}
	if !retryStatus[resp.StatusCode] || !replayable {
		return 0, false
	}
	// 429 and 503 mean "not processed": safe for any method. Other 5xx may
	// have half-done a MOVE or COPY, so only idempotent requests go again.
	notProcessed := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
	if !idempotent[req.Method] && !notProcessed {
		return 0, false
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok && notProcessed {
		return min(d, t.policy.MaxRetryAfter), true
	}
	return t.policy.backoff(attempt), true
}

var errClientClosed = errors.New("the connection was closed")

// retryAfter parses delta-seconds or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

// permanent errors will not go away by trying again: certificates, TLS
// versions, a plain-http server on an https URL, our own refusals.
func permanent(err error) bool {
	var (
		unknownCA   x509.UnknownAuthorityError
		invalidCert x509.CertificateInvalidError
		hostname    x509.HostnameError
		record      tls.RecordHeaderError
		alert       tls.AlertError
		verify      *tls.CertificateVerificationError
		chain       *IncompleteChainError
		redirect    *RedirectError
	)
	// The server's TLS alert (no common version or cipher) comes as an
	// OpError "remote error" around an unexported type.
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return true
	}
	return errors.As(err, &unknownCA) || errors.As(err, &invalidCert) || errors.As(err, &hostname) ||
		errors.As(err, &record) || errors.As(err, &alert) || errors.As(err, &verify) || errors.As(err, &chain) || errors.As(err, &redirect) ||
		errors.Is(err, ErrDigestOnly) || errors.Is(err, ErrPinMismatch) || errors.Is(err, ErrSourceChanged)
}

// ErrSourceChanged is returned by an upload body whose file shrank while it
// was read: sending it again now would not help.
var ErrSourceChanged = errors.New("the file changed while it was being uploaded")

// notConnected reports a failure to open the connection at all.
func notConnected(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
