//go:build linux

package service_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

const (
	nmName   = "org.freedesktop.NetworkManager"
	nmPath   = "/org/freedesktop/NetworkManager"
	upName   = "org.freedesktop.UPower"
	upPath   = "/org/freedesktop/UPower"
	upBatter = "/org/freedesktop/UPower/devices/DisplayDevice"
)

// webdavMethods are every request the engine may send.
var webdavMethods = []string{"PUT", "MKCOL", "MOVE", "COPY", "DELETE", "PROPFIND", "GET", "HEAD", "API GET"}

// conditionsRig is a signed-in service whose network and power are
// NetworkManager and UPower (python3-dbusmock's templates) on a private bus.
type conditionsRig struct {
	t      *testing.T
	e      *testenv.Emulated
	svc    *service.Service
	netman *testenv.DBusMock
	power  *testenv.DBusMock
	src    string
	status atomic.Pointer[service.Status]
	n      int // notes written so far
}

func newConditionsRig(t *testing.T, withNetworkManager bool) *conditionsRig {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	r := &conditionsRig{t: t, src: filepath.Join(t.TempDir(), "Documents")}
	bus := testenv.SessionBus(t)
	if withNetworkManager {
		r.netman = testenv.StartDBusMock(t, bus, "networkmanager", nmName)
		r.setMetered(2) // NM_METERED_NO
	}
	r.power = testenv.StartDBusMock(t, bus, "upower", upName)
	r.e = testenv.StartEmulator(t)
	svc, err := service.New(service.Options{ConfigPath: filepath.Join(t.TempDir(), "config.json"), RootCAs: r.e.Pool(), NoKeyring: true,
		Conditions: conditions.Bus(bus), OnChange: func(st service.Status) { r.status.Store(&st) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	r.svc = svc
	login := service.Login{Service: service.InfiniCLOUD, URL: r.e.DAVURL("backup"), Area: service.AreaBackup, User: r.e.User,
		Device: "laptop", Password: r.e.AppsPassword}
	if err := svc.SignIn(context.Background(), login, false); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(r.src, 0o755); err != nil {
		t.Fatal(err)
	}
	r.write(5, 100)
	if err := svc.AddFolder(r.src, nil); err != nil {
		t.Fatal(err)
	}
	r.waitOnServer("the first 5 notes", 5)
	return r
}

// write adds n notes of size bytes each.
func (r *conditionsRig) write(n, size int) {
	for range n {
		name := filepath.Join(r.src, fmt.Sprintf("note-%04d.txt", r.n))
		if err := os.WriteFile(name, []byte(strings.Repeat("k", size)), 0o644); err != nil {
			r.t.Fatal(err)
		}
		r.n++
	}
}

func (r *conditionsRig) onServer() int {
	return countNotes(r.t, filepath.Join(r.e.AreaDir(r.e.User, "backup"), "laptop"))
}

func (r *conditionsRig) waitOnServer(what string, n int) {
	r.t.Helper()
	testenv.Eventually(r.t, what, 20*time.Second, func() bool { return r.onServer() == n })
}

func (r *conditionsRig) requests() (n int64) {
	for _, m := range webdavMethods {
		n += r.e.Requests(m)
	}
	return n
}

func (r *conditionsRig) setMetered(v uint32) {
	r.t.Helper()
	if err := r.netman.Set(nmPath, nmName, map[string]any{"Metered": v}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *conditionsRig) setPower(onBattery bool, percent float64) {
	r.t.Helper()
	if err := r.power.Set(upBatter, upName+".Device", map[string]any{"IsPresent": true, "Type": uint32(2), "Percentage": percent}); err != nil {
		r.t.Fatal(err)
	}
	if err := r.power.Set(upPath, upName, map[string]any{"OnBattery": onBattery}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *conditionsRig) waitLine(what, prefix string) service.Status {
	r.t.Helper()
	var st service.Status
	testenv.Eventually(r.t, what, 10*time.Second, func() bool {
		if p := r.status.Load(); p != nil {
			st = *p
		}
		return strings.HasPrefix(st.Line, prefix)
	})
	return st
}

// held writes n notes while something holds, and checks that in the 2 s
// after (twice the wait after a change) not one request reached the server.
func (r *conditionsRig) held(why string, n int) {
	r.t.Helper()
	before, was := r.requests(), r.onServer()
	r.write(n, 100)
	time.Sleep(2 * time.Second)
	if got := r.requests() - before; got != 0 {
		r.t.Errorf("%s: %d requests while held, want 0", why, got)
	}
	if got := r.onServer(); got != was {
		r.t.Errorf("%s: %d notes on the server while held, want %d", why, got, was)
	}
}

// A metered connection (NetworkManager's Metered: yes, and guess-yes as
// well) holds every upload while files change, with not one request, and
// says so; unmetered again, everything changed meanwhile is sent within
// seconds. A folder allowed on metered connections goes on, and so do
// files within the size allowance while larger ones wait.
func TestMeteredConnectionHoldsUploads(t *testing.T) {
	r := newConditionsRig(t, true)

	r.setMetered(1) // NM_METERED_YES
	st := r.waitLine("the status to say metered", "Paused: metered connection")
	if st.State != service.Held {
		t.Errorf("metered: state %v, want %v", st.State, service.Held)
	}
	r.held("metered", 50)
	r.setMetered(2)
	r.waitOnServer("the 50 notes changed while metered", 55)
	r.waitLine("the status after the hold", "Up to date")

	r.setMetered(3) // NM_METERED_GUESS_YES: a phone hotspot is often only guessed
	r.waitLine("a guessed metered connection to hold too", "Paused: metered connection")
	r.held("metered (guessed)", 10)

	// This folder may use metered connections: it goes on at once.
	if err := r.svc.SetOnMetered(r.src, true); err != nil {
		t.Fatal(err)
	}
	r.waitOnServer("the folder allowed on metered connections", 65)
	if err := r.svc.SetOnMetered(r.src, false); err != nil {
		t.Fatal(err)
	}

	// Files up to 1 MB may go on metered connections; a 3 MB one waits.
	set := r.svc.Config().Settings
	set.MeteredAllowMB = 1
	if err := r.svc.UpdateSettings(set); err != nil {
		t.Fatal(err)
	}
	r.write(1, 3<<20)
	r.write(9, 100)
	r.waitOnServer("the small files within the allowance", 74)
	time.Sleep(1500 * time.Millisecond)
	if n := r.onServer(); n != 74 {
		t.Errorf("%d notes on the server, want 74: the 3 MB file should wait for an unmetered connection", n)
	}
	if st := r.status.Load(); st == nil || !strings.Contains(st.Holding, "files over 1 MB wait") {
		t.Errorf("the status should say what waits, got %+v", st)
	}
	r.setMetered(4) // NM_METERED_GUESS_NO
	r.waitOnServer("the large file once unmetered", 75)
}

// A low battery (on battery below 20%) holds; plugged in, it resumes. On
// battery above the threshold nothing waits, unless the setting says so.
func TestLowBatteryHoldsUntilPluggedIn(t *testing.T) {
	r := newConditionsRig(t, true)

	r.setPower(true, 45)
	r.write(5, 100)
	r.waitOnServer("the notes written on battery at 45%", 10)

	r.setPower(true, 15)
	st := r.waitLine("the status to say the battery is low", "Waiting for power: battery at 15%")
	if st.State != service.Held {
		t.Errorf("low battery: state %v, want %v", st.State, service.Held)
	}
	r.held("battery at 15%", 20)
	r.setPower(false, 16)
	r.waitOnServer("the notes written while the battery was low", 30)

	set := r.svc.Config().Settings
	set.HoldOnBattery = true
	if err := r.svc.UpdateSettings(set); err != nil {
		t.Fatal(err)
	}
	r.setPower(true, 90)
	r.waitLine("holding on battery, as set", "Waiting for power: on battery")
	r.held("on battery (as set)", 5)
	r.setPower(false, 90)
	r.waitOnServer("the notes written on battery", 35)
}

// Without NetworkManager on the bus, backing up is unaffected.
func TestNoNetworkManagerChangesNothing(t *testing.T) {
	r := newConditionsRig(t, false)
	r.write(20, 100)
	r.waitOnServer("the notes written without NetworkManager", 25)
	if st := r.status.Load(); st == nil || st.State == service.Held || st.Holding != "" {
		t.Errorf("without NetworkManager nothing should hold: %+v", st)
	}
}
