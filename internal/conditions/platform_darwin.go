package conditions

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// System reads the power source from pmset every 30 s. Whether the network
// is expensive or constrained is only told by Network.framework's path
// monitor, which a pure-Go build cannot reach: on macOS a connection is never
// taken as metered (docs/conditions.md).
func System() Source { return darwinSource{} }

type darwinSource struct{}

func (darwinSource) Watch(ctx context.Context, changed func(State)) {
	poll(ctx, func() State { return readPmset(ctx) }, changed)
}

var batteryPercent = regexp.MustCompile(`(\d{1,3})%`)

func readPmset(ctx context.Context) State {
	out, err := exec.CommandContext(ctx, "pmset", "-g", "batt").Output()
	if err != nil {
		st := Unknown
		st.Seen = "pmset: " + err.Error()
		return st
	}
	return parsePmset(string(out))
}

// parsePmset reads "Now drawing from 'Battery Power'" and " -InternalBattery-0 (id=…)	45%; discharging".
func parsePmset(out string) State {
	st := State{Battery: -1, Seen: "pmset: " + strings.TrimSpace(strings.SplitN(out, "\n", 2)[0]) + "; metered: not read on macOS"}
	st.OnBattery = strings.Contains(out, "'Battery Power'")
	if m := batteryPercent.FindStringSubmatch(out); m != nil {
		if p, err := strconv.Atoi(m[1]); err == nil && p <= 100 {
			st.Battery = float64(p)
		}
	}
	return st
}

// FromEnv is System: only Linux reads a bus that the environment names.
func FromEnv(func(string) string) Source { return System() }
