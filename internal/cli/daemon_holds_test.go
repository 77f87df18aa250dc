package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/cli"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// The daemon honours the app's holds: on a metered connection (NetworkManager
// on the system bus, python3-dbusmock's template) it says so and sends
// nothing until the connection is unmetered; with --metered it backs up anyway.
func TestDaemonHoldsOnMeteredConnection(t *testing.T) {
	bus := testenv.SessionBus(t)
	netman := testenv.StartDBusMock(t, bus, "networkmanager", "org.freedesktop.NetworkManager")
	metered := func(v uint32) {
		t.Helper()
		if err := netman.Set("/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager", map[string]any{"Metered": v}); err != nil {
			t.Fatal(err)
		}
	}
	metered(1)
	e := daemonAccount(t)
	src := filepath.Join(t.TempDir(), "www")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "index.html"), []byte("<p>hello</p>"), 0o644)
	stored := filepath.Join(e.AreaDir(e.User, "backup"), "srv", "www", "index.html")
	daemon := func(args ...string) (*syncBuffer, func() int) {
		ctx, cancel := context.WithCancel(context.Background())
		out, done := &syncBuffer{}, make(chan int, 1)
		go func() {
			done <- cli.Run(ctx, cli.Env{Stdout: out, Stderr: out, Getenv: func(k string) string {
				return map[string]string{"KUMO_PASSWORD": e.AppsPassword, "DBUS_SYSTEM_BUS_ADDRESS": bus}[k]
			}}, append([]string{"daemon", "--quiet", "100ms"}, args...))
		}()
		return out, func() int { cancel(); return <-done }
	}

	out, stop := daemon(src)
	testenv.Eventually(t, "the daemon to say it holds", 10*time.Second, func() bool {
		return strings.Contains(out.String(), "Holding 1 folder: metered connection")
	})
	time.Sleep(1500 * time.Millisecond)
	if _, err := os.Stat(stored); err == nil || e.Requests("PUT")+e.Requests("MKCOL") != 0 {
		t.Fatalf("the daemon uploaded on a metered connection (%d PUT, %d MKCOL)", e.Requests("PUT"), e.Requests("MKCOL"))
	}
	metered(2)
	testenv.Eventually(t, "the file once unmetered", 10*time.Second, func() bool { _, err := os.Stat(stored); return err == nil })
	if !strings.Contains(out.String(), "Uploads go on") {
		t.Errorf("the daemon should say the hold ended:\n%s", out)
	}
	// Its record of its last backup, written once it was complete, never
	// while held, and read back by `kumo status`.
	record := filepath.Join(e.AreaDir(e.User, "backup"), "srv", ".kumo-last-backup.json")
	testenv.Eventually(t, "the daemon's record of its last backup", 10*time.Second, func() bool { _, err := os.Stat(record); return err == nil })
	if code := stop(); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	t.Logf("metered:\n%s", out)
	if code, sout, serr := run(t, map[string]string{"KUMO_PASSWORD": e.AppsPassword}, "status"); code != 0 || !strings.Contains(sout, "  srv: just now") {
		t.Errorf("kumo status should list srv's last backup: exit %d\n%s%s", code, sout, serr)
	}

	metered(3)
	os.WriteFile(filepath.Join(src, "news.html"), []byte("<p>news</p>"), 0o644)
	out, stop = daemon("--metered", src)
	news := filepath.Join(filepath.Dir(stored), "news.html")
	testenv.Eventually(t, "the file sent on a metered connection with --metered", 10*time.Second, func() bool { _, err := os.Stat(news); return err == nil })
	if strings.Contains(out.String(), "Holding") {
		t.Errorf("with --metered nothing should hold:\n%s", out)
	}
	stop()
	t.Logf("with --metered:\n%s", out)
}
