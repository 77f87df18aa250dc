package conditions

import "testing"

// macOS's tools as they print (from Apple's network_cmds and pmset): the
// default route's interface, its cost flags, a tunnel's delegate, the power.
func TestMacOSToolOutput(t *testing.T) {
	route := "   route to: default\ndestination: default\n       mask: default\n    gateway: 172.20.10.1\n  interface: en0\n      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING>\n"
	if got := parseRouteInterface(route); got != "en0" {
		t.Errorf("route's interface read as %q", got)
	}
	if got := parseRouteInterface("route: writing to routing socket: not in table\n"); got != "" {
		t.Errorf("no default route read as %q", got)
	}
	hotspot := "en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500 index 6\n" +
		"\teflags=412084<ACCEPT_RTADV,TXSTART,NOAUTOIPV6LL,EXPENSIVE,ECN_ENABLE,CHANNEL_DRV>\n" +
		"\txflags=4<NOAUTONX>\n\tether 3c:22:fb:00:00:00\n\tstatus: active\n\ttype: Wi-Fi\n"
	if exp, con, eff := parseIfconfigCost(hotspot); !exp || con || eff != "" {
		t.Errorf("a hotspot's Wi-Fi read as expensive %v, constrained %v, via %q", exp, con, eff)
	}
	lowData := "en0: flags=8863<UP,BROADCAST> mtu 1500\n\teflags=412080<ECN_ENABLE>\n\txflags=8004<NOAUTONX,CONSTRAINED>\n"
	if exp, con, _ := parseIfconfigCost(lowData); exp || !con {
		t.Errorf("Low Data Mode read as expensive %v, constrained %v", exp, con)
	}
	home := "en0: flags=8863<UP,BROADCAST> mtu 1500\n\teflags=412080<ACCEPT_RTADV,TXSTART,ECN_ENABLE,NOTEXPENSIVE_X>\n"
	if exp, con, _ := parseIfconfigCost(home); exp || con {
		t.Errorf("a home network read as expensive %v, constrained %v", exp, con)
	}
	vpn := "utun3: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380\n\teflags=5002080<TXSTART,NOAUTOIPV6LL,ECN_ENABLE,CHANNEL_DRV>\n\teffective interface: en0\n"
	if exp, _, eff := parseIfconfigCost(vpn); exp || eff != "en0" {
		t.Errorf("a VPN read as expensive %v, via %q", exp, eff)
	}
	st := parsePmset("Now drawing from 'Battery Power'\n -InternalBattery-0 (id=4653155)\t45%; discharging; 3:12 remaining present: true\n")
	if !st.OnBattery || st.Battery != 45 {
		t.Errorf("pmset on battery read as %+v", st)
	}
	if st := parsePmset("Now drawing from 'AC Power'\n -InternalBattery-0 (id=4653155)\t100%; charged; 0:00 remaining present: true\n"); st.OnBattery || st.Battery != 100 {
		t.Errorf("pmset on mains read as %+v", st)
	}
}
