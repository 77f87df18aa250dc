package service_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// power is a conditions.Source the test switches between battery and mains.
type power struct {
	mu      sync.Mutex
	changed func(conditions.State)
	state   conditions.State
}

func (p *power) Watch(ctx context.Context, changed func(conditions.State)) {
	p.mu.Lock()
	p.changed = changed
	st := p.state
	p.mu.Unlock()
	changed(st)
	<-ctx.Done()
}

func (p *power) set(st conditions.State) {
	p.mu.Lock()
	p.state = st
	changed := p.changed
	p.mu.Unlock()
	if changed != nil {
		changed(st)
	}
}

// Verification by itself: 2,000 files backed up; one server copy is
// damaged on the server's disk behind Kumo's back, one local file's bytes
// change with its time put back. On battery nothing is read back; on mains
// both are found within the period (30 days, the default), each with its
// sentence; the next pass sends the damaged copy again, and the rotted file
// never overwrites its good copy on the server.
func TestVerificationFindsDamageOnTheServerAndBitRotHere(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	clock := testenv.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local))
	e := testenv.StartEmulator(t)
	src := &power{state: conditions.State{OnBattery: true, Battery: 80, Seen: "UPower: on battery, 80%"}}
	svc, err := service.New(service.Options{ConfigPath: filepath.Join(t.TempDir(), "config.json"), RootCAs: e.Pool(), NoKeyring: true,
		Now: clock.Now, PauseCheck: 20 * time.Millisecond, VerifyCheck: 20 * time.Millisecond, VerifyRate: -1, Conditions: src})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	login := service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup, User: e.User,
		Device: "laptop", Password: e.AppsPassword}
	if err := svc.SignIn(context.Background(), login, false); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "Documents")
	testenv.WriteTree(t, local, testenv.TreeSpec{Files: 2000, MaxSize: 2 << 10, Seed: 23, MaxDepth: 3})
	if err := svc.AddFolder(local, nil); err != nil {
		t.Fatal(err)
	}
	remote := filepath.Join(e.AreaDir(e.User, "backup"), "laptop", "Documents")
	var rels []string
	filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(local, p)
			rels = append(rels, rel)
		}
		return nil
	})
	sameOnServer := func(rel string) bool {
		want, err1 := os.ReadFile(filepath.Join(local, rel))
		got, err2 := os.ReadFile(filepath.Join(remote, rel))
		return err1 == nil && err2 == nil && bytes.Equal(want, got)
	}
	// The first pass is over once it says so (LastBackup); Idle alone is
	// also what the status says in a pass's first half second.
	testenv.Eventually(t, "the first backup to end", 60*time.Second, func() bool {
		st := svc.Status()
		return st.State == service.Idle && !st.LastBackup.IsZero()
	})
	for _, rel := range rels {
		if !sameOnServer(rel) {
			t.Fatalf("after the first backup %s is not on the server as on the disk", rel)
		}
	}

	// Behind Kumo's back: a server copy damaged, a local file rotted.
	damaged, rotted := rels[1234], rels[777]
	flip := func(path string) []byte {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			t.Fatalf("reading %s: %v (%d bytes)", path, err, len(b))
		}
		good := bytes.Clone(b)
		b[len(b)/2] ^= 0x20
		st, _ := os.Stat(path)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
		return good
	}
	flip(filepath.Join(remote, damaged))
	goodRotted := flip(filepath.Join(local, rotted))

	// On battery: twenty days pass and not one file is read back.
	gets := e.Requests("GET")
	for range 20 {
		clock.Advance(24 * time.Hour)
		time.Sleep(40 * time.Millisecond)
	}
	if n, st := e.Requests("GET")-gets, svc.Status(); n != 0 || st.Verified != "" {
		t.Fatalf("on battery verification read %d files back (%q)", n, st.Verified)
	}

	// On mains: a day at a time, within the period.
	src.set(conditions.State{Battery: 100, Seen: "UPower: on mains"})
	problemAt := func(rel string) *service.Problem {
		for _, p := range svc.Status().Problems {
			if p.Path == rel {
				return &p
			}
		}
		return nil
	}
	days := 0
	var damage, rot *service.Problem
	for ; days <= 30 && (damage == nil || rot == nil); days++ {
		clock.Advance(24 * time.Hour)
		time.Sleep(60 * time.Millisecond)
		if damage == nil {
			damage = problemAt(damaged)
		}
		if rot == nil {
			rot = problemAt(rotted)
		}
	}
	if damage == nil || rot == nil {
		t.Fatalf("after %d days on mains: damaged copy found %v, bit rot found %v; status %+v", days, damage != nil, rot != nil, svc.Status())
	}
	t.Logf("found within %d days: %q / %q", days, damage.Message, rot.Message)
	if !strings.Contains(damage.Message, "server's copy of this file is damaged") {
		t.Errorf("the damaged copy is told as %q", damage.Message)
	}
	if !strings.Contains(rot.Message, "changed on this computer although its size and modification time did not") || !rot.Notify {
		t.Errorf("bit rot is told as %q (notify %v)", rot.Message, rot.Notify)
	}

	testenv.Eventually(t, "the damaged copy sent again", 20*time.Second, func() bool { return sameOnServer(damaged) })
	svc.BackUpNow() // a full pass: the rotted file's good copy stays
	time.Sleep(1500 * time.Millisecond)
	testenv.Eventually(t, "the pass to end", 20*time.Second, func() bool { return svc.Status().State != service.Busy })
	if got, err := os.ReadFile(filepath.Join(remote, rotted)); err != nil || !bytes.Equal(got, goodRotted) {
		t.Errorf("the server's copy of the rotted file is no longer the good one (%v)", err)
	}

	// The next round finds everything as sent.
	var line string
	for range 40 {
		clock.Advance(24 * time.Hour)
		time.Sleep(60 * time.Millisecond)
		if line = svc.Status().Verified; strings.HasSuffix(line, "2,000 of 2,000 files") {
			break
		}
	}
	if !strings.HasPrefix(line, "Verified: ") || !strings.HasSuffix(line, "2,000 of 2,000 files") {
		t.Errorf("after a second round the status says %q", line)
	}
	t.Logf("%s; %d GETs in all", line, e.Requests("GET")-gets)
}
