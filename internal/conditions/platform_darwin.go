package conditions

import (
	"context"
	"os/exec"
	"strings"
)

// System reads, every 30 s, whether the default route's interface is
// expensive (cellular, a phone's hotspot) or constrained (Low Data Mode), as
// the kernel flags that Network.framework reports are shown by ifconfig, and
// the power source from pmset (docs/network-and-power.md).
func System() Source { return darwinSource{} }

type darwinSource struct{}

func (darwinSource) Watch(ctx context.Context, changed func(State)) {
	poll(ctx, func() State {
		st := readPmset(ctx)
		metered, seen := readNetworkCost(ctx)
		st.Metered, st.Seen = metered, seen+"; "+st.Seen
		return st
	}, changed)
}

func readPmset(ctx context.Context) State {
	out, err := exec.CommandContext(ctx, "pmset", "-g", "batt").Output()
	if err != nil {
		st := Unknown
		st.Seen = "pmset: " + err.Error()
		return st
	}
	return parsePmset(string(out))
}

// readNetworkCost follows the default route to its interface (and a
// tunnel's to the one it rides on) and reads its cost flags.
func readNetworkCost(ctx context.Context) (metered bool, seen string) {
	out, err := exec.CommandContext(ctx, "route", "-n", "get", "default").Output()
	if err != nil {
		return false, "route: no default route"
	}
	name := parseRouteInterface(string(out))
	var path []string
	for hop := 0; name != "" && hop < 3; hop++ {
		out, err := exec.CommandContext(ctx, "ifconfig", "-v", name).Output()
		if err != nil {
			return false, "ifconfig " + name + ": " + err.Error()
		}
		expensive, constrained, effective := parseIfconfigCost(string(out))
		switch {
		case expensive:
			return true, strings.Join(append(path, name), " via ") + ": expensive"
		case constrained:
			return true, strings.Join(append(path, name), " via ") + ": constrained (Low Data Mode)"
		}
		path = append(path, name)
		name = effective
	}
	return false, strings.Join(path, " via ") + ": not expensive"
}

// FromEnv is System: only Linux reads a bus that the environment names.
func FromEnv(func(string) string) Source { return System() }
