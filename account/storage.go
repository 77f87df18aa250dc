package account

import (
	"context"

	"github.com/kumo-backup/kumo/transport"
)

// Storage is how full an account is, and where that figure came from.
type Storage struct {
	transport.Quota        // Known false: nothing says
	Source          string // "REST API", "WebDAV" or ""
	// RESTProblem is why the REST API gave no figures when it was asked.
	RESTProblem error
}

// StorageReader reads an account's storage the best way it has: the
// node's REST API when there is an API key, else RFC 4331 when the server
// answers it (the real node does not), else unknown. It is what the engine
// watches for space coming back.
type StorageReader struct {
	Account Account
	Secrets Secrets
	Options Options
	Client  *transport.Client // the area's WebDAV connection
}

// Read asks for the figures; the error is for a server that cannot be
// asked at all, never for a REST API that is missing or refused.
func (r *StorageReader) Read(ctx context.Context) (Storage, error) {
	var st Storage
	if r.Account.RESTKey(r.Secrets) != "" {
		q, err := NodeStorage(ctx, r.Account, r.Secrets, r.Options)
		if err == nil {
			return Storage{Quota: q, Source: "REST API"}, nil
		}
		st.RESTProblem = err
	}
	q, err := r.Client.Quota(ctx)
	if err != nil {
		return st, err
	}
	if q.Known {
		st.Quota, st.Source = q, "WebDAV"
	}
	return st, nil
}

// Quota is Read for the engine.
func (r *StorageReader) Quota(ctx context.Context) (transport.Quota, error) {
	st, err := r.Read(ctx)
	return st.Quota, err
}
