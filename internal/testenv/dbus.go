package testenv

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// SessionBus starts a private D-Bus session bus for the test and returns
// its address (for DBUS_SESSION_BUS_ADDRESS).
func SessionBus(t testing.TB) string {
	t.Helper()
	daemon := Require(t, "dbus-daemon")
	bus := exec.Command(daemon, "--session", "--nofork", "--print-address=1")
	stdout, _ := bus.StdoutPipe()
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// Tray is a StatusNotifierWatcher on a private bus: what a desktop panel
// provides for tray icons.
type Tray struct {
	Conn *dbus.Conn // a client connection of the test's own
}

const trayWatcher = "org.kde.StatusNotifierWatcher"

// StartTray starts status-notifier-watcher on the bus at addr and, when
// withHost, registers a host as a panel does.
func StartTray(t testing.TB, addr string, withHost bool) *Tray {
	t.Helper()
	w := exec.Command(Require(t, "status-notifier-watcher"))
	w.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+addr)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Process.Kill(); w.Wait() })
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	tr := &Tray{Conn: conn}
	if !tr.WaitForName(trayWatcher, 10*time.Second) {
		t.Fatal("status-notifier-watcher did not take its name")
	}
	if withHost {
		// The watcher takes its name a moment before it exports its object:
		// until then the call answers UnknownObject.
		var err error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			err = conn.Object(trayWatcher, "/StatusNotifierWatcher").Call(trayWatcher+".RegisterStatusNotifierHost", 0,
				"org.kde.StatusNotifierHost-kumo-test").Err
			var dbusErr dbus.Error
			if err == nil || !errors.As(err, &dbusErr) || dbusErr.Name != "org.freedesktop.DBus.Error.UnknownObject" {
				break
			}
		}
		if err != nil {
			t.Fatalf("registering a tray host with the watcher: %v", err)
		}
	}
	return tr
}

// WaitForName reports whether name gets an owner on the bus within limit.
func (tr *Tray) WaitForName(name string, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var owned bool
		if tr.Conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned) == nil && owned {
			return true
		}
	}
	return false
}

// Items lists the tray items registered with the watcher.
func (tr *Tray) Items() []string {
	v, err := tr.Conn.Object(trayWatcher, "/StatusNotifierWatcher").GetProperty(trayWatcher + ".RegisteredStatusNotifierItems")
	if err != nil {
		return nil
	}
	items, _ := v.Value().([]string)
	return items
}

// MenuItem is one entry of a tray item's menu (com.canonical.dbusmenu).
type MenuItem struct {
	ID       int32
	Label    string
	Enabled  bool
	Children []MenuItem
}

// Menu reads the menu exported by the item owning name at path.
func (tr *Tray) Menu(name, path string) ([]MenuItem, error) {
	var rev uint32
	var root struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	err := tr.Conn.Object(name, dbus.ObjectPath(path)).Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).
		Store(&rev, &root)
	if err != nil {
		return nil, err
	}
	return menuChildren(root.Children), nil
}

func menuChildren(vs []dbus.Variant) []MenuItem {
	var out []MenuItem
	for _, v := range vs {
		fields, ok := v.Value().([]any)
		if !ok || len(fields) != 3 {
			continue
		}
		id, _ := fields[0].(int32)
		props, _ := fields[1].(map[string]dbus.Variant)
		kids, _ := fields[2].([]dbus.Variant)
		it := MenuItem{ID: id, Enabled: true, Children: menuChildren(kids)}
		if l, ok := props["label"]; ok {
			it.Label, _ = l.Value().(string)
		}
		if e, ok := props["enabled"]; ok {
			it.Enabled, _ = e.Value().(bool)
		}
		out = append(out, it)
	}
	return out
}

// Click sends the "clicked" event a panel sends when a menu item is chosen.
func (tr *Tray) Click(name, path string, id int32) error {
	return tr.Conn.Object(name, dbus.ObjectPath(path)).Call("com.canonical.dbusmenu.Event", 0, id, "clicked",
		dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
}

// DBusMock is python3-dbusmock serving one of its templates (the real
// NetworkManager's or UPower's objects, properties and signals) on a
// private bus that stands in for the system bus.
type DBusMock struct {
	Name string // the bus name the template owns
	conn *dbus.Conn
	cmd  *exec.Cmd
}

// StartDBusMock serves template on the bus at addr and waits for its name.
func StartDBusMock(t testing.TB, addr, template, name string) *DBusMock {
	t.Helper()
	python := dbusmockPython(t)
	cmd := exec.Command(python, "-m", "dbusmock", "--template", template)
	cmd.Env = append(os.Environ(), "DBUS_SYSTEM_BUS_ADDRESS="+addr, "DBUS_SESSION_BUS_ADDRESS="+addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := &DBusMock{Name: name, cmd: cmd}
	t.Cleanup(m.Stop)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	m.conn = conn
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var has bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err == nil && has {
			return m
		}
		if time.Now().After(end) {
			t.Fatalf("dbusmock's %s template did not take %s within 15 s: %s", template, name, stderr.String())
		}
	}
}

// dbusmockPython is a python3 that can import dbusmock (Debian's, not a
// virtualenv's that may come first in PATH).
func dbusmockPython(t testing.TB) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import dbusmock").Run() == nil {
			return path
		}
	}
	Missing(t, "python3-dbusmock is not installed")
	return ""
}

// Set changes properties of the object at path and sends PropertiesChanged,
// as the real service does; a property it lacks is added first.
func (m *DBusMock) Set(path dbus.ObjectPath, iface string, props map[string]any) error {
	obj := m.conn.Object(m.Name, path)
	changed := map[string]dbus.Variant{}
	for k, v := range props {
		var cur dbus.Variant
		if err := obj.Call("org.freedesktop.DBus.Properties.Get", 0, iface, k).Store(&cur); err != nil {
			if err := obj.Call("org.freedesktop.DBus.Mock.AddProperty", 0, iface, k, dbus.MakeVariant(v)).Err; err != nil {
				return err
			}
		}
		changed[k] = dbus.MakeVariant(v)
	}
	return obj.Call("org.freedesktop.DBus.Mock.UpdateProperties", 0, iface, changed).Err
}

// Stop ends the mock: the service leaves the bus, as when it stops.
func (m *DBusMock) Stop() {
	if m.cmd.Process != nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
	}
}
