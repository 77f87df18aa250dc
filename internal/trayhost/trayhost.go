// Package trayhost tells whether this desktop shows tray icons. On Linux a
// tray icon is a StatusNotifierItem, and a desktop without a host for them
// (stock GNOME) shows nothing: an app that hides its window there seems to
// vanish. Kumo asks before it hides.
package trayhost

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	watcherName = "org.kde.StatusNotifierWatcher"
	watcherPath = "/StatusNotifierWatcher"
)

// Available reports whether a tray icon would be seen. macOS and Windows
// always have one; on Linux a StatusNotifierWatcher must report a host.
func Available(ctx context.Context) bool {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return true
	}
	return hostRegistered(ctx)
}

func hostRegistered(ctx context.Context) bool {
	// Without a session bus address godbus would launch a bus of its own
	// that outlives Kumo: no bus means no tray.
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	var v dbus.Variant
	err = conn.Object(watcherName, watcherPath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		watcherName, "IsStatusNotifierHostRegistered").Store(&v)
	if err != nil {
		return false
	}
	registered, _ := v.Value().(bool)
	return registered
}
