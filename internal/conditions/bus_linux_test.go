package conditions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/internal/testenv"
)

const (
	nm      = "org.freedesktop.NetworkManager"
	nmPath  = "/org/freedesktop/NetworkManager"
	up      = "org.freedesktop.UPower"
	upPath  = "/org/freedesktop/UPower"
	display = "/org/freedesktop/UPower/devices/DisplayDevice"
)

// watched follows a Source as the service does, keeping the latest state.
func watched(t *testing.T, src conditions.Source) func(what string, want func(conditions.State) bool) conditions.State {
	states := make(chan conditions.State, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); src.Watch(ctx, func(s conditions.State) { states <- s }) }()
	t.Cleanup(func() { cancel(); <-done })
	var last conditions.State
	return func(what string, want func(conditions.State) bool) conditions.State {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			if want(last) {
				return last
			}
			select {
			case last = <-states:
			case <-timeout:
				t.Fatalf("gave up waiting for %s; last state %v (%s)", what, last, last.Seen)
			}
		}
	}
}

// NetworkManager's Metered property and UPower's battery, as the real
// services publish them on the system bus (python3-dbusmock's templates,
// real property-change signals): every change is told within seconds, a
// guessed "yes" counts as metered, and a service that leaves the bus is
// taken as saying nothing.
func TestBusFollowsNetworkManagerAndUPower(t *testing.T) {
	addr := testenv.SessionBus(t)
	netman := testenv.StartDBusMock(t, addr, "networkmanager", nm)
	power := testenv.StartDBusMock(t, addr, "upower", up)
	next := watched(t, conditions.Bus(addr))

	st := next("the first state", func(s conditions.State) bool { return s.Seen != "" })
	if st.Metered || st.OnBattery || st.Battery >= 0 {
		t.Errorf("before NetworkManager says anything: %+v, want unmetered, on mains, battery unknown", st)
	}
	for _, c := range []struct {
		value   uint32
		metered bool
		words   string
	}{{1, true, "metered"}, {2, false, "not metered"}, {3, true, "metered (guessed)"}, {4, false, "not metered (guessed)"}, {0, false, "metered or not, unknown"}} {
		if err := netman.Set(nmPath, nm, map[string]any{"Metered": c.value}); err != nil {
			t.Fatal(err)
		}
		st = next("Metered "+c.words, func(s conditions.State) bool { return strings.Contains(s.Seen, "NetworkManager: "+c.words) })
		if st.Metered != c.metered {
			t.Errorf("Metered=%d: metered %v, want %v", c.value, st.Metered, c.metered)
		}
	}

	if err := power.Set(display, up+".Device", map[string]any{"IsPresent": true, "Type": uint32(2), "Percentage": 15.0}); err != nil {
		t.Fatal(err)
	}
	if err := power.Set(upPath, up, map[string]any{"OnBattery": true}); err != nil {
		t.Fatal(err)
	}
	st = next("on battery at 15%", func(s conditions.State) bool { return s.OnBattery && s.Battery == 15 })
	if err := power.Set(upPath, up, map[string]any{"OnBattery": false}); err != nil {
		t.Fatal(err)
	}
	next("back on mains", func(s conditions.State) bool { return !s.OnBattery })

	if err := netman.Set(nmPath, nm, map[string]any{"Metered": uint32(1)}); err != nil {
		t.Fatal(err)
	}
	next("metered again", func(s conditions.State) bool { return s.Metered })
	netman.Stop()
	st = next("NetworkManager gone", func(s conditions.State) bool { return strings.Contains(s.Seen, "NetworkManager: not running") })
	if st.Metered {
		t.Error("with NetworkManager gone the connection should not be taken as metered")
	}
	t.Logf("last seen: %s", st.Seen)
}

// Without a bus at all, nothing is held: unmetered, on mains.
func TestNoBusIsUnmeteredOnMains(t *testing.T) {
	next := watched(t, conditions.Bus("unix:path="+t.TempDir()+"/none"))
	st := next("the first state", func(s conditions.State) bool { return s.Seen != "" })
	if st.Metered || st.OnBattery {
		t.Errorf("no bus: %+v", st)
	}
	if !strings.Contains(st.Seen, "no system bus") {
		t.Errorf("the state should say there is no bus: %q", st.Seen)
	}
}
