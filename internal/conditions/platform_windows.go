package conditions

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"unsafe"
)

// System reads the connection's cost (GetNetworkConnectivityHint, Windows
// 10 2004 and later) and the power status (GetSystemPowerStatus), every 30 s.
func System() Source { return windowsSource{} }

type windowsSource struct{}

func (windowsSource) Watch(ctx context.Context, changed func(State)) { poll(ctx, readWindows, changed) }

var (
	iphlpapi             = syscall.NewLazyDLL("iphlpapi.dll")
	kernel32             = syscall.NewLazyDLL("kernel32.dll")
	procConnectivityHint = iphlpapi.NewProc("GetNetworkConnectivityHint")
	procPowerStatus      = kernel32.NewProc("GetSystemPowerStatus")
)

// connectivityHint is NL_NETWORK_CONNECTIVITY_HINT.
type connectivityHint struct {
	Level                int32
	Cost                 int32 // 0 unknown, 1 unrestricted, 2 fixed (a data cap), 3 variable (paid by use)
	ApproachingDataLimit bool
	OverDataLimit        bool
	Roaming              bool
}

// powerStatus is SYSTEM_POWER_STATUS.
type powerStatus struct {
	ACLineStatus        uint8 // 0 offline, 1 online, 255 unknown
	BatteryFlag         uint8 // 128: no battery
	BatteryLifePercent  uint8 // 255: unknown
	SystemStatusFlag    uint8
	BatteryLifeTime     uint32
	BatteryFullLifeTime uint32
}

func readWindows() State {
	st := State{Battery: -1}
	var seen []string
	var hint connectivityHint
	if procConnectivityHint.Find() != nil {
		seen = append(seen, "connection cost: not reported by this Windows")
	} else if r, _, _ := procConnectivityHint.Call(uintptr(unsafe.Pointer(&hint))); r != 0 {
		seen = append(seen, fmt.Sprintf("connection cost: unreadable (error %d)", r))
	} else {
		st.Metered = hint.Cost == 2 || hint.Cost == 3 || hint.Roaming || hint.OverDataLimit
		seen = append(seen, fmt.Sprintf("connection cost %d, roaming %v, over its data limit %v", hint.Cost, hint.Roaming, hint.OverDataLimit))
	}
	var ps powerStatus
	if r, _, _ := procPowerStatus.Call(uintptr(unsafe.Pointer(&ps))); r == 0 {
		seen = append(seen, "power: unreadable")
	} else {
		st.OnBattery = ps.ACLineStatus == 0
		if ps.BatteryFlag != 128 && ps.BatteryLifePercent <= 100 {
			st.Battery = float64(ps.BatteryLifePercent)
		}
		seen = append(seen, fmt.Sprintf("power: AC line %d, battery %d%%", ps.ACLineStatus, ps.BatteryLifePercent))
	}
	st.Seen = strings.Join(seen, "; ")
	return st
}

// FromEnv is System: only Linux reads a bus that the environment names.
func FromEnv(func(string) string) Source { return System() }
