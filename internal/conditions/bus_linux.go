package conditions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// NetworkManager and UPower on the system bus.
const (
	nmName      = "org.freedesktop.NetworkManager"
	nmPath      = "/org/freedesktop/NetworkManager"
	upName      = "org.freedesktop.UPower"
	upPath      = "/org/freedesktop/UPower"
	upDisplay   = "/org/freedesktop/UPower/devices/DisplayDevice"
	upDevice    = "org.freedesktop.UPower.Device"
	askTimeout  = 2 * time.Second
	upBatteryTy = 2 // UPower's device type for a battery
)

// NetworkManager's NMMetered values.
const (
	nmMeteredUnknown = iota
	nmMeteredYes
	nmMeteredNo
	nmMeteredGuessYes
	nmMeteredGuessNo
)

// System is the computer's own source: NetworkManager and UPower on the
// system bus. Where either is absent, its part of the state stays unknown.
func System() Source { return Bus("") }

// FromEnv is System, or the bus DBUS_SYSTEM_BUS_ADDRESS names in getenv
// (a command's environment, which tests give).
func FromEnv(getenv func(string) string) Source { return Bus(getenv("DBUS_SYSTEM_BUS_ADDRESS")) }

// Bus reads NetworkManager and UPower on the bus at addr ("" is the system bus).
func Bus(addr string) Source { return busSource{addr: addr} }

type busSource struct{ addr string }

func (b busSource) Watch(ctx context.Context, changed func(State)) {
	conn, err := b.connect()
	if err != nil {
		st := Unknown
		st.Seen = "no system bus (" + err.Error() + ")"
		changed(st)
		<-ctx.Done()
		return
	}
	defer conn.Close()
	signals := make(chan *dbus.Signal, 64)
	conn.Signal(signals)
	// Any signal from these objects (the standard PropertiesChanged, and
	// NetworkManager's own older one) is a reason to read again; so is
	// either service starting or stopping.
	for _, path := range []dbus.ObjectPath{nmPath, upPath, upDisplay} {
		conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(path))
	}
	for _, name := range []string{nmName, upName} {
		conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.freedesktop.DBus"),
			dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, name))
	}
	last := read(ctx, conn)
	changed(last)
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-signals:
			if !ok {
				return
			}
		}
		for drained := false; !drained; { // one read for a burst of signals
			select {
			case <-signals:
			default:
				drained = true
			}
		}
		if now := read(ctx, conn); now != last {
			last = now
			changed(now)
		}
	}
}

func (b busSource) connect() (*dbus.Conn, error) {
	if b.addr == "" {
		return dbus.ConnectSystemBus()
	}
	return dbus.Connect(b.addr)
}

// read asks both services for what matters now.
func read(ctx context.Context, conn *dbus.Conn) State {
	st := State{Battery: -1}
	var seen []string
	if v, err := get(ctx, conn, nmName, nmPath, nmName, "Metered"); err != nil {
		seen = append(seen, "NetworkManager: "+absent(err))
	} else {
		m, _ := v.Value().(uint32)
		st.Metered = m == nmMeteredYes || m == nmMeteredGuessYes
		seen = append(seen, "NetworkManager: "+meteredWords(m))
	}
	if v, err := get(ctx, conn, upName, upPath, upName, "OnBattery"); err != nil {
		seen = append(seen, "UPower: "+absent(err))
	} else {
		st.OnBattery, _ = v.Value().(bool)
		words := "on mains power"
		if st.OnBattery {
			words = "on battery"
		}
		present, _ := get(ctx, conn, upName, upDisplay, upDevice, "IsPresent")
		kind, _ := get(ctx, conn, upName, upDisplay, upDevice, "Type")
		pct, err := get(ctx, conn, upName, upDisplay, upDevice, "Percentage")
		if ok, _ := present.Value().(bool); ok && err == nil && kind.Value() == uint32(upBatteryTy) {
			st.Battery, _ = pct.Value().(float64)
			words += fmt.Sprintf(", battery %.0f%%", st.Battery)
		}
		seen = append(seen, "UPower: "+words)
	}
	st.Seen = strings.Join(seen, "; ")
	return st
}

// get reads one property without starting the service (a bus that would
// activate NetworkManager just to ask must not).
func get(ctx context.Context, conn *dbus.Conn, name string, path dbus.ObjectPath, iface, prop string) (dbus.Variant, error) {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	var v dbus.Variant
	err := conn.Object(name, path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", dbus.FlagNoAutoStart, iface, prop).Store(&v)
	return v, err
}

func absent(err error) string {
	var e dbus.Error
	if errors.As(err, &e) && (e.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || e.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
		return "not running"
	}
	return "unreadable (" + err.Error() + ")"
}

func meteredWords(m uint32) string {
	switch m {
	case nmMeteredYes:
		return "metered"
	case nmMeteredGuessYes:
		return "metered (guessed)"
	case nmMeteredNo:
		return "not metered"
	case nmMeteredGuessNo:
		return "not metered (guessed)"
	}
	return "metered or not, unknown"
}
