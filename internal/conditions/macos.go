package conditions

import (
	"regexp"
	"strconv"
	"strings"
)

// What macOS's command-line tools print, read here (and tested on every
// system) so that platform_darwin.go only runs them.

var batteryPercent = regexp.MustCompile(`(\d{1,3})%`)

// parsePmset reads "Now drawing from 'Battery Power'" and " -InternalBattery-0 (id=…)	45%; discharging".
func parsePmset(out string) State {
	st := State{Battery: -1, Seen: "pmset: " + strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])}
	st.OnBattery = strings.Contains(out, "'Battery Power'")
	if m := batteryPercent.FindStringSubmatch(out); m != nil {
		if p, err := strconv.Atoi(m[1]); err == nil && p <= 100 {
			st.Battery = float64(p)
		}
	}
	return st
}

// parseRouteInterface reads the interface of `route -n get default`
// ("  interface: en0"), or "" without a default route.
func parseRouteInterface(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "interface:"); ok {
			return strings.TrimSpace(name)
		}
	}
	return ""
}

// parseIfconfigCost reads `ifconfig -v IFACE`: the kernel's EXPENSIVE
// flag (cellular, a phone's hotspot: what Network.framework reports as an
// expensive path) among the eflags, CONSTRAINED (Low Data Mode) among the
// xflags, and the interface a tunnel delegates to ("effective interface").
func parseIfconfigCost(out string) (expensive, constrained bool, effective string) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		flags := func(prefix string) string {
			if !strings.HasPrefix(line, prefix) {
				return ""
			}
			if i := strings.IndexByte(line, '<'); i >= 0 {
				return "," + strings.TrimSuffix(line[i+1:], ">") + ","
			}
			return ""
		}
		expensive = expensive || strings.Contains(flags("eflags="), ",EXPENSIVE,")
		constrained = constrained || strings.Contains(flags("xflags="), ",CONSTRAINED,")
		if name, ok := strings.CutPrefix(line, "effective interface:"); ok {
			effective = strings.TrimSpace(name)
		}
	}
	return expensive, constrained, effective
}
