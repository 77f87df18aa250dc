package backup

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

// refusedAfter is how many uploads in a row the server may refuse before a
// full account is suspected.
const refusedAfter = 3

// refusals notices a full account by the write failures themselves: the
// service does not document the status of a refused write, so besides 507
// a 413, 403 or 500 that every upload gets while other requests work counts
// too, once the account's figures (when known) do not show room.
type refusals struct {
	mu    sync.Mutex
	n     int
	bytes int64
	code  int
}

// writeRefusalStatus reports an upload refused in a way a full account
// may answer.
func writeRefusalStatus(err error) (int, bool) {
	var se *transport.StatusError
	if !errors.As(err, &se) || se.Op != http.MethodPut {
		return 0, false
	}
	switch se.Code {
	case http.StatusRequestEntityTooLarge, http.StatusForbidden, http.StatusInternalServerError:
		return se.Code, true
	}
	return 0, false
}

// uploaded clears the count: a server that takes an upload is not full.
func (f *refusals) uploaded() {
	f.mu.Lock()
	f.n, f.bytes = 0, 0
	f.mu.Unlock()
}

// refusedWrite is an upload refused in a way a full account answers: it
// counts towards a full account, not towards an unreachable server.
type refusedWrite struct{ error }

func (e refusedWrite) Unwrap() error { return e.error }

// refused counts an upload of size bytes refused with err. It returns err
// itself for other failures, the problem of a full account once that is
// the likely reading, ServerUnreachable when the server fails the figures'
// question too, and otherwise err marked as a refused write.
func (r *run) refused(ctx context.Context, size int64, err error) error {
	code, ok := writeRefusalStatus(err)
	if !ok {
		return err
	}
	f := &r.refusal
	f.mu.Lock()
	f.n++
	f.bytes += size
	f.code = code
	n, bytes := f.n, f.bytes
	f.mu.Unlock()
	if n < refusedAfter {
		return refusedWrite{err}
	}
	// Other requests must work (this one asks the account's figures), and
	// the figures, when the server gives them, must not show room.
	q, qerr := r.storage().Quota(ctx)
	switch {
	case qerr != nil:
		return problem.New(problem.ServerUnreachable, nil, err) // failing everything: not a full account
	case q.Known && q.Available >= bytes:
		return err // room enough: these files fail for reasons of their own
	}
	return problem.New(problem.WritesRefused, problem.Args{"code": strconv.Itoa(code), "n": strconv.Itoa(n)}, err)
}

// storage is where the engine reads how full the account is.
func (e *Engine) storage() QuotaReader {
	if e.opts.Storage != nil {
		return e.opts.Storage
	}
	if q, ok := e.raw.(QuotaReader); ok {
		return q
	}
	return noStorage{}
}

// noStorage is a server that never says how full it is.
type noStorage struct{}

func (noStorage) Quota(context.Context) (transport.Quota, error) { return transport.Quota{}, nil }
