package trayhost

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// Against a real StatusNotifierWatcher on a private session bus: no tray
// until a host (a panel) registers, then a tray; no bus, no tray.
func TestHostRegistered(t *testing.T) {
	daemon := testenv.Require(t, "dbus-daemon")
	watcher := testenv.Require(t, "status-notifier-watcher")
	bus := exec.Command(daemon, "--session", "--nofork", "--print-address=1")
	stdout, _ := bus.StdoutPipe()
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))
	ctx := context.Background()
	if hostRegistered(ctx) {
		t.Fatal("a tray with no watcher at all")
	}

	w := exec.Command(watcher)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Process.Kill(); w.Wait() })
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var owned bool
		conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&owned)
		if owned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("status-notifier-watcher did not take its name")
		}
	}
	if hostRegistered(ctx) {
		t.Fatal("a tray with a watcher but no host (stock GNOME)")
	}
	// A panel registers itself as a host.
	if call := conn.Object(watcherName, watcherPath).Call(watcherName+".RegisterStatusNotifierHost", 0, "org.kde.StatusNotifierHost-kumo-test"); call.Err != nil {
		t.Fatal(call.Err)
	}
	if !hostRegistered(ctx) {
		t.Fatal("no tray although a host registered")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if hostRegistered(ctx) {
		t.Fatal("a tray without a session bus")
	}
}
