package account

import (
	"context"
	"sync"
	"time"

	"github.com/kumo-backup/kumo/transport"
)

// QuotaRefresh is how long a quota reading is reused: usage changes slowly
// and the service should not be asked on every screen refresh.
const QuotaRefresh = 5 * time.Minute

// QuotaCache reads the account's quota at most once per QuotaRefresh: from
// the REST API when an API key is configured, else from WebDAV (RFC 4331).
type QuotaCache struct {
	account Account
	secrets Secrets
	opts    Options
	now     func() time.Time

	mu      sync.Mutex
	fetched time.Time
	quota   transport.Quota
	source  string
}

// NewQuotaCache reads quota for a with s; now is time.Now when nil.
func NewQuotaCache(a Account, s Secrets, opts Options, now func() time.Time) *QuotaCache {
	if now == nil {
		now = time.Now
	}
	return &QuotaCache{account: a, secrets: s, opts: opts, now: now}
}

// Get returns the cached reading, or a fresh one once it is QuotaRefresh old.
func (c *QuotaCache) Get(ctx context.Context) (transport.Quota, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fetched.IsZero() && c.now().Sub(c.fetched) < QuotaRefresh {
		return c.quota, c.source, nil
	}
	q, src, err := c.fetch(ctx)
	if err != nil {
		return c.quota, c.source, explain(ctx, err, c.account, c.secrets, c.opts)
	}
	c.quota, c.source, c.fetched = q, src, c.now()
	return q, src, nil
}

func (c *QuotaCache) fetch(ctx context.Context) (transport.Quota, string, error) {
	if c.account.HasAPIKey && c.secrets.APIKey != "" {
		q, err := RESTQuota(ctx, c.account, c.secrets, c.opts)
		return q, "REST API", err
	}
	cl, err := Connect(c.account, c.secrets, c.opts)
	if err != nil {
		return transport.Quota{}, "", err
	}
	defer cl.Close()
	q, err := cl.Quota(ctx)
	return q, "WebDAV", err
}
