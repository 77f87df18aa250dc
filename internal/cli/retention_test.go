package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/cli"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// `kumo daemon` and the app run engines the same way, with the user's
// settings: with "keep daily versions" at 20 days, three versions of a
// file replaced on Monday, Tuesday and Wednesday of one week are thinned to
// that week's last once they are 4 weeks old. (With the default of 90 days,
// which the daemon used to apply whatever the settings said, all three
// would stay.)
func TestDaemonAndAppPruneAlike(t *testing.T) {
	for _, who := range []string{"daemon", "app"} {
		t.Run(who, func(t *testing.T) {
			if kept := versionsAfterAMonth(t, who); kept != 1 {
				t.Fatalf("%d versions kept; with daily versions for 20 days, the week's last alone should stay", kept)
			}
		})
	}
}

// versionsAfterAMonth backs up a file edited three times, a day apart,
// with the daemon or the app, then one more change four weeks later, and
// counts the versions retention keeps.
func versionsAfterAMonth(t *testing.T, who string) int {
	config, _ := isolate(t)
	e := testenv.StartEmulator(t)
	monday := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := testenv.NewClock(monday)
	settings := account.Settings{KeepDailyDays: 20, QuietSeconds: 1}
	src := filepath.Join(t.TempDir(), "Letters")
	os.MkdirAll(src, 0o755)
	doc := filepath.Join(src, "doc.txt")
	os.WriteFile(doc, []byte("first"), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	switch who {
	case "daemon":
		caFile := filepath.Join(t.TempDir(), "ca.pem")
		os.WriteFile(caFile, e.Cert.CertPEM, 0o644)
		cfg := &account.Config{Settings: settings,
			Account: &account.Account{Service: account.InfiniCLOUD, URL: e.DAVURL("backup"), User: e.User, Device: "desk", CAFile: caFile}}
		if err := cfg.Save(filepath.Join(config, "kumo", "config.json")); err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 1)
		go func() {
			done <- cli.Run(ctx, cli.Env{Stdout: out, Stderr: out, Now: clock.Now,
				Getenv: func(k string) string { return map[string]string{"KUMO_PASSWORD": e.AppsPassword}[k] }},
				[]string{"daemon", src})
		}()
		defer func() { cancel(); <-done }()
	case "app":
		svc, err := service.New(service.Options{ConfigPath: filepath.Join(config, "kumo", "config.json"), RootCAs: e.Pool(),
			NoKeyring: true, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		if err := svc.SignIn(ctx, service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup,
			User: e.User, Device: "desk", Password: e.AppsPassword}, false); err != nil {
			t.Fatal(err)
		}
		if err := svc.UpdateSettings(settings); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddFolder(src, nil); err != nil {
			t.Fatal(err)
		}
	}
	server := filepath.Join(e.AreaDir(e.User, "backup"), "desk")
	versions := func() int {
		return len(testenv.Files(filepath.Join(server, ".kumo", "versions", "Letters"), func(string) bool { return true }))
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		testenv.Eventually(t, what+"\n"+out.String(), 20*time.Second, cond)
	}
	holds := func(p, content string) func() bool {
		return func() bool { b, err := os.ReadFile(p); return err == nil && bytes.Equal(b, []byte(content)) }
	}
	// A pass is over when its record is on the server: only then is the
	// next edit a day later. (Waiting for the bytes alone, an edit could
	// land while the pass still checked the file had not changed as it was
	// read: it then left the file for the next pass, and that pass, finding
	// no confirmed copy to keep, replaced it without a version.)
	records := func() []string {
		return testenv.Files(filepath.Join(server, ".kumo", "catalogs", "Letters"), func(string) bool { return true })
	}
	recordedSince := func(before []string) bool { // a record file not there before (segments get new names too)
		for _, r := range records() {
			if !slices.Contains(before, r) {
				return true
			}
		}
		return false
	}
	waitFor("the first backup", func() bool {
		return holds(filepath.Join(server, "Letters", "doc.txt"), "first")() && recordedSince(nil)
	})
	for i, edit := range []string{"Monday's edit", "Tuesday's edit, longer", "Wednesday's edit, longer still"} {
		clock.Set(monday.Add(time.Duration(i)*24*time.Hour + 3*time.Hour))
		before := records()
		os.WriteFile(doc, []byte(edit), 0o644)
		on := func() bool {
			return holds(filepath.Join(server, "Letters", "doc.txt"), edit)() && versions() == i+1 && recordedSince(before)
		}
		if testenv.Within(20*time.Second, on) {
			continue
		}
		got, _ := os.ReadFile(filepath.Join(server, "Letters", "doc.txt"))
		t.Fatalf("%s: the server holds %q and %d versions (%q), want %q and %d\n%s", edit, got, versions(),
			testenv.Files(filepath.Join(server, ".kumo", "versions", "Letters"), func(string) bool { return true }), edit, i+1, out.String())
	}
	// Four weeks on, any change brings retention round.
	clock.Set(monday.Add(30 * 24 * time.Hour))
	os.WriteFile(filepath.Join(src, "later.txt"), []byte("a month later"), 0o644)
	waitFor("the change a month later", holds(filepath.Join(server, "Letters", "later.txt"), "a month later"))
	testenv.Eventually(t, "retention", 10*time.Second, func() bool { return versions() < 3 })
	time.Sleep(200 * time.Millisecond) // a pass still pruning finishes
	return versions()
}
