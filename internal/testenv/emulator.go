package testenv

import (
	"testing"
	"time"

	"github.com/kumo-backup/kumo/emulator"
)

// Emulated is a running emulator with one ready account and one API key.
type Emulated struct {
	*emulator.Server
	User, AppsPassword, LoginPassword string
	APIKey, APISecret                 string
	DataDir                           string
}

// DAVURL is the account's WebDAV area URL, e.g. https://127.0.0.1:PORT/backup/.
func (e *Emulated) DAVURL(area string) string { return e.URL + area + "/" }

// StartEmulator runs the InfiniCLOUD emulator on loopback for one test, with
// a post-2021 account whose apps connection is enabled.
func StartEmulator(t testing.TB, opts ...func(*emulator.Config)) *Emulated {
	t.Helper()
	e := &Emulated{
		User:          "kumo-user",
		AppsPassword:  "APPS-" + randomHex(t, 10),
		LoginPassword: "LOGIN-" + randomHex(t, 10),
		APIKey:        "0123456789ABCDEF0123456789ABCDEF",
		APISecret:     "secret-" + randomHex(t, 16),
		DataDir:       t.TempDir(),
	}
	cfg := emulator.Config{
		DataDir: e.DataDir,
		Accounts: []emulator.Account{{
			User: e.User, Password: e.LoginPassword, AppsPassword: e.AppsPassword,
			AppsConnection: true, Registered: time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC),
		}},
		APIKeys: map[string]string{e.APIKey: e.APISecret},
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := emulator.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e.Server = srv
	return e
}
