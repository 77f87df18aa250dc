package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// twoHosts is the emulator as the real service is laid out: an API server
// at api.teracloud.jp and the user's data on node kumo1.teracloud.jp,
// reached under those names.
func twoHosts(t *testing.T, more ...func(*emulator.Config)) (*testenv.Emulated, account.Options) {
	e := testenv.StartEmulator(t, append([]func(*emulator.Config){func(c *emulator.Config) {
		c.NodeHost = "kumo1.teracloud.jp"
		c.Accounts = append(c.Accounts, emulator.Account{User: "newcomer", AppsPassword: "APPS-new-123", AppsConnection: true,
			Registered: time.Now(), Pending: true})
	}}, more...)...)
	return e, account.Options{RootCAs: e.Pool(), DialContext: e.DialContext, MachineID: "m1"}
}

func wantKind(t *testing.T, err error, kind problem.Kind, words ...string) {
	t.Helper()
	var p *problem.Error
	if !errors.As(err, &p) || p.Kind != kind {
		t.Fatalf("want the problem %s, got %v", kind, err)
	}
	for _, w := range words {
		if !strings.Contains(p.Sentence(), w) {
			t.Errorf("the sentence should mention %q: %s", w, p.Sentence())
		}
	}
}

// Signing in with only the Connection ID and the Apps Password: the API
// server says which node holds the data, and the account works there.
func TestSignInFindsTheNode(t *testing.T) {
	e, opts := twoHosts(t)
	ctx := context.Background()
	form := account.Form{Service: account.InfiniCLOUD, Area: account.AreaBackup, User: e.User, Device: "laptop"}
	sec := account.Secrets{Password: e.AppsPassword, APIKey: e.APIKey}
	a, info, err := account.Resolve(ctx, form, sec, opts)
	if err != nil {
		t.Fatal(err)
	}
	if info.Node != "kumo1.teracloud.jp" || a.URL != "https://kumo1.teracloud.jp/backup/" {
		t.Fatalf("found node %q, account URL %q", info.Node, a.URL)
	}
	st, err := account.Check(ctx, a, sec, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Quota.Known || st.QuotaSource != "REST API" || st.Quota.Used+st.Quota.Available != emulator.FreeQuota {
		t.Errorf("storage: %+v", st)
	}

	// Kumo's own key, set at build time, does the same when the user has none.
	defer func(k string) { account.AppAPIKey = k }(account.AppAPIKey)
	account.AppAPIKey = e.APIKey
	if a, _, err := account.Resolve(ctx, form, account.Secrets{Password: e.AppsPassword}, opts); err != nil || a.URL != "https://kumo1.teracloud.jp/backup/" {
		t.Fatalf("with the app's key: %q %v", a.URL, err)
	}
}

// What the API server refuses gets its own sentence, and none blocks a
// person who types the WebDAV Connection URL instead.
func TestSignInLookupProblems(t *testing.T) {
	e, opts := twoHosts(t)
	ctx := context.Background()
	form := account.Form{Service: account.InfiniCLOUD, Area: account.AreaBackup, User: e.User, Device: "laptop"}
	sec := account.Secrets{Password: e.AppsPassword, APIKey: e.APIKey}

	newcomer := form
	newcomer.User = "newcomer"
	_, _, err := account.Resolve(ctx, newcomer, account.Secrets{Password: "APPS-new-123", APIKey: e.APIKey}, opts)
	wantKind(t, err, problem.NodeNotReady, "not ready yet", "few minutes")

	_, _, err = account.Resolve(ctx, form, account.Secrets{Password: "wrong-pw-1", APIKey: e.APIKey}, opts)
	wantKind(t, err, problem.RESTWrongPassword, "did not accept", e.User)

	_, _, err = account.Resolve(ctx, form, account.Secrets{Password: e.AppsPassword, APIKey: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"}, opts)
	wantKind(t, err, problem.APIKey, "refused the API key", "not shown on My Page")

	_, _, err = account.Resolve(ctx, form, account.Secrets{Password: e.AppsPassword}, opts)
	wantKind(t, err, problem.RESTNoKey, "WebDAV Connection URL")

	e.SetAPIDown(true)
	_, _, err = account.Resolve(ctx, form, sec, opts)
	wantKind(t, err, problem.RESTUnreachable, "api.teracloud.jp", "WebDAV Connection URL")
	// The API server down: the typed URL signs in, backing up needs no API
	// server, and the node still gives the storage figures.
	typed := form
	typed.URL = "https://kumo1.teracloud.jp/dav/"
	a, _, err := account.Resolve(ctx, typed, sec, opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := account.Check(ctx, a, sec, opts)
	if err != nil || st.QuotaSource != "REST API" {
		t.Fatalf("with the API server down: %+v %v", st, err)
	}
	if n := e.Requests("API GET"); n == 0 {
		t.Error("the API server was never asked")
	}
}
