package testenv

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/transport"
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
		DataDir:       TempDir(t),
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

// FillArea uploads a file of size zero bytes into area through WebDAV, so
// the account's usage grows as a client's upload would make it.
func FillArea(e *Emulated, area string, size int) error {
	c, err := transport.New(transport.Config{URL: e.DAVURL(area), User: e.User, Password: e.AppsPassword, RootCAs: e.Pool()})
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Put(context.Background(), "filler.bin", func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(make([]byte, size))), nil
	}, int64(size))
}
