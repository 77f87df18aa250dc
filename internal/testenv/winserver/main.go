// Command winserver serves, from Linux, a backup that a Windows test
// restores (scripts/test-windows.sh): a folder of names Windows refuses or
// merges (testenv.WindowsAwkwardNames), backed up by the engine to an
// emulator on Linux's disk, which holds any name. It writes where to
// connect as JSON to -out, then serves until it is stopped or -for passes.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

// Server is what the Windows test reads from -out.
type Server struct {
	URL, User, Password, Device, Folder string
	CA                                  string // the server's certificate, PEM
	Names                               []string
}

func main() {
	dir := flag.String("dir", "", "a fresh folder for the server's files")
	out := flag.String("out", "", "where to write how to connect (JSON)")
	serve := flag.Duration("for", 10*time.Minute, "stop after this long at the latest")
	flag.Parse()
	if err := run(*dir, *out, *serve); err != nil {
		fmt.Fprintln(os.Stderr, "winserver:", err)
		os.Exit(1)
	}
}

func run(dir, out string, serve time.Duration) error {
	src := filepath.Join(dir, "Mixed")
	names := testenv.WindowsAwkwardNames()
	for _, name := range names {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(testenv.AwkwardContent(name)), 0o644); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(src, "aux"), 0o755); err != nil { // an empty folder with a device's name
		return err
	}
	data := filepath.Join(dir, "server")
	cert, err := emulator.LoadOrCreateCert(data)
	if err != nil {
		return err
	}
	account := emulator.DemoAccount()
	srv, err := emulator.Start(emulator.Config{DataDir: data, Accounts: []emulator.Account{account}, Cert: cert})
	if err != nil {
		return err
	}
	defer srv.Close()
	url := srv.URL + "backup/"
	client, err := transport.New(transport.Config{URL: url, User: account.User, Password: account.AppsPassword, RootCAs: cert.Pool()})
	if err != nil {
		return err
	}
	sum, err := backup.RunOnce(context.Background(), client, backup.Options{Root: src, Device: "linux", IndexPath: filepath.Join(dir, "index.db")})
	client.Close()
	if err != nil {
		return err
	}
	if len(sum.Failed) > 0 {
		return fmt.Errorf("backing up the awkward names: %v", sum.Failed)
	}
	ca, err := os.ReadFile(filepath.Join(data, emulator.CertFile))
	if err != nil {
		return err
	}
	b, _ := json.Marshal(Server{URL: url, User: account.User, Password: account.AppsPassword, CA: string(ca),
		Device: "linux", Folder: "Mixed", Names: names})
	if err := os.WriteFile(out, b, 0o600); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(serve):
	}
	return nil
}
