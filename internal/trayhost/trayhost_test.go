package trayhost

import (
	"context"
	"testing"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// Against a real StatusNotifierWatcher on a private session bus: no tray
// until a host (a panel) registers, then a tray; no bus, no tray.
func TestHostRegistered(t *testing.T) {
	addr := testenv.SessionBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	ctx := context.Background()
	if hostRegistered(ctx) {
		t.Fatal("a tray with no watcher at all")
	}
	tray := testenv.StartTray(t, addr, false)
	if hostRegistered(ctx) {
		t.Fatal("a tray with a watcher but no host (stock GNOME)")
	}
	// A panel registers itself as a host.
	if call := tray.Conn.Object(watcherName, watcherPath).Call(watcherName+".RegisterStatusNotifierHost", 0, "org.kde.StatusNotifierHost-kumo-test"); call.Err != nil {
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
