package service_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// The Apps Password is reissued on My Page while Kumo uploads a few
// thousand files: Kumo stops at once, asks once, sends nothing more with
// the old password, and after the new one finishes where it stopped with
// no file lost and none uploaded twice.
func TestPasswordChangedMidBackupPausesAndAsksOnce(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var puts atomic.Int64
	uploaded := map[string]int{}
	var mu sync.Mutex
	e := testenv.StartEmulator(t, func(c *emulator.Config) {
		c.OnPut = func(_, _, p string, _ int64) {
			puts.Add(1)
			mu.Lock()
			uploaded[p]++
			mu.Unlock()
		}
	})
	var asked atomic.Int32
	var last atomic.Pointer[service.Status]
	prevAsk := false
	svc, err := service.New(service.Options{ConfigPath: filepath.Join(t.TempDir(), "config.json"), RootCAs: e.Pool(), NoKeyring: true,
		OnChange: func(st service.Status) {
			if st.AskPassword && !prevAsk {
				asked.Add(1)
			}
			prevAsk = st.AskPassword
			last.Store(&st)
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()
	login := service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup, User: e.User, Device: "laptop",
		Password: e.AppsPassword}
	if err := svc.SignIn(ctx, login, false); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "Documents")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 3000, MaxSize: 4 << 10, Seed: 5, MaxDepth: 3})
	// Slow the upload enough to change the password half-way.
	set := svc.Config().Settings.WithDefaults()
	set.UploadLimitKiB = 2048
	if err := svc.UpdateSettings(set); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "a few hundred uploads", 30*time.Second, func() bool { return puts.Load() >= 300 })

	const reissued = "APPS-reissued-7f3a9c"
	if err := e.UpdateAccount(e.User, func(acct *emulator.Account) { acct.AppsPassword = reissued }); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "Kumo to ask for the password", 15*time.Second, func() bool { st := last.Load(); return st != nil && st.AskPassword })
	st := last.Load()
	if !strings.Contains(st.Line, "Enter the new Apps Password") || st.State != service.Failing {
		t.Errorf("while waiting for the password the status says %v: %q", st.State, st.Line)
	}
	putsAtStop := puts.Load()
	time.Sleep(300 * time.Millisecond) // requests already on the wire land
	refused := e.Refused()
	time.Sleep(1500 * time.Millisecond)
	if n := e.Refused() - refused; n != 0 {
		t.Errorf("%d more requests with the old password while waiting: Kumo hammers the server", n)
	}

	err = svc.Reauthenticate(ctx, "APPS-still-the-old-one")
	if err == nil || !strings.Contains(err.Error(), "did not accept") {
		t.Errorf("a wrong new password: %v", err)
	}
	if err := svc.Reauthenticate(ctx, reissued); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	testenv.Eventually(t, "the backup to finish", 60*time.Second, func() bool {
		st := last.Load()
		return st != nil && !st.AskPassword && st.Line == "Up to date"
	})
	if n := asked.Load(); n != 1 {
		t.Errorf("Kumo asked for the password %d times; want once", n)
	}
	server := filepath.Join(e.AreaDir(e.User, "backup"), "laptop", "Documents")
	files, bytes := testenv.AssertSameTree(t, src, server)
	// Nothing doubled: no file uploaded twice, no version of an untouched file.
	mu.Lock()
	for p, n := range uploaded {
		if n > 1 && strings.HasPrefix(p, "/laptop/Documents/") {
			t.Errorf("%s was uploaded %d times", p, n)
		}
	}
	mu.Unlock()
	versions := len(testenv.Files(filepath.Join(e.AreaDir(e.User, "backup"), "laptop", ".kumo", "versions"), func(string) bool { return true }))
	if versions != 0 {
		t.Errorf("%d versions of files that never changed", versions)
	}
	t.Logf("password changed after %d of %d uploads: asked %d time(s), %d refused requests in all; then %d files, %d bytes identical",
		putsAtStop, files, asked.Load(), e.Refused(), files, bytes)
}

// After a reissue the service may take minutes to accept the new Apps
// Password. Typed at once, it is refused with a sentence saying so; Kumo
// keeps trying it by itself and resumes as soon as it is accepted.
func TestNewPasswordAcceptedLateResumesByItself(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	e := testenv.StartEmulator(t, func(c *emulator.Config) { c.PasswordDelay = 2 * time.Second })
	var last atomic.Pointer[service.Status]
	svc, err := service.New(service.Options{ConfigPath: filepath.Join(t.TempDir(), "config.json"), RootCAs: e.Pool(), NoKeyring: true,
		PasswordRetry: 200 * time.Millisecond, OnChange: func(st service.Status) { last.Store(&st) }})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()
	if err := svc.SignIn(ctx, service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup, User: e.User,
		Device: "laptop", Password: e.AppsPassword}, false); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "Notes")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 20, MaxSize: 1 << 10, Seed: 4, MaxDepth: 1})
	if err := svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the first backup", 30*time.Second, func() bool { return svc.Status().Line == "Up to date" })

	const reissued = "APPS-reissued-late-5d1"
	if err := e.ReissueAppsPassword(e.User, reissued); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "after.txt"), []byte("written after the reissue"), 0o644)
	testenv.Eventually(t, "Kumo to ask for the password", 15*time.Second, func() bool { return svc.Status().AskPassword })
	err = svc.Reauthenticate(ctx, reissued)
	if err == nil || !strings.Contains(service.Sentence(err), "several minutes") || !strings.Contains(service.Sentence(err), "tries it again by itself") {
		t.Fatalf("a password the service does not accept yet: %v", err)
	}
	if st := svc.Status(); !strings.Contains(st.Line, "Waiting for InfiniCLOUD to accept the new Apps Password") {
		t.Errorf("while waiting the status says %q", st.Line)
	}
	testenv.Eventually(t, "the password to be accepted and the backup to resume", 30*time.Second, func() bool {
		st := last.Load()
		_, err := os.Stat(filepath.Join(e.AreaDir(e.User, "backup"), "laptop", "Notes", "after.txt"))
		return st != nil && !st.AskPassword && st.Line == "Up to date" && err == nil
	})
}

// The service's API server can be down while WebDAV works: signing in with
// the typed WebDAV Connection URL and backing up go on, and the storage
// figures still come from the node.
func TestAPIServerDownDoesNotStopBackups(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	e := testenv.StartEmulator(t, func(c *emulator.Config) { c.NodeHost = "kumo1.teracloud.jp" })
	e.SetAPIDown(true)
	svc, err := service.New(service.Options{ConfigPath: filepath.Join(t.TempDir(), "config.json"), RootCAs: e.Pool(), NoKeyring: true,
		DialContext: e.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	login := service.Login{Service: service.InfiniCLOUD, Area: service.AreaBackup, User: e.User, Device: "laptop",
		Password: e.AppsPassword, APIKey: e.APIKey}
	if err := svc.SignIn(context.Background(), login, false); err == nil || !strings.Contains(service.Sentence(err), "type the WebDAV Connection URL") {
		t.Fatalf("without a URL and with the API server down: %v", err)
	}
	login.URL = "https://kumo1.teracloud.jp/dav/"
	if err := svc.SignIn(context.Background(), login, false); err != nil {
		t.Fatalf("with the typed URL: %v", err)
	}
	src := filepath.Join(t.TempDir(), "Notes")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 15, MaxSize: 1 << 10, Seed: 6, MaxDepth: 1})
	if err := svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the backup", 30*time.Second, func() bool { return svc.Status().Line == "Up to date" })
	testenv.Eventually(t, "the storage figure", 10*time.Second, func() bool { return strings.HasSuffix(svc.Status().Quota, "used") })
	testenv.AssertSameTree(t, src, filepath.Join(e.AreaDir(e.User, "backup"), "laptop", "Notes"))
}
