package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/cli"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// isolate points Kumo's config and cache folders at the test's own.
func isolate(t *testing.T) (config, cache string) {
	config, cache = t.TempDir(), t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("XDG_CACHE_HOME", cache)
	return config, cache
}

func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), cli.Env{
		Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return env[k] },
		Build:  cli.BuildInfo{Version: "0.0.0-test", Commit: "abc"},
	}, args)
	return code, out.String(), errOut.String()
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := run(t, nil, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"backup", "version", "kumo <command>"} {
		if !strings.Contains(out, want) {
			t.Errorf("help does not mention %q:\n%s", want, out)
		}
	}
}

func TestBackupOnceToApache(t *testing.T) {
	isolate(t)
	srv := testenv.StartApache(t)
	src := filepath.Join(t.TempDir(), "Pictures")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 120, MaxSize: 4 << 10, Seed: 7, MaxDepth: 3})

	for _, junk := range []string{"cache/blob.bin", "notes.swp", "build.tmp"} {
		os.MkdirAll(filepath.Dir(filepath.Join(src, junk)), 0o755)
		os.WriteFile(filepath.Join(src, junk), []byte("left out"), 0o644)
	}
	code, out, errOut := run(t, map[string]string{"KUMO_PASSWORD": srv.Password},
		"backup", "--once", "--url", srv.URL, "--user", srv.User, "--device", "desk",
		"--ca-file", srv.Certs.CAFile, "--exclude", "cache/", "--exclude", "*.tmp", src)
	for _, junk := range []string{"cache", "notes.swp", "build.tmp"} {
		if _, err := os.Stat(filepath.Join(srv.DataDir, "desk", "Pictures", junk)); err == nil {
			t.Errorf("%s was excluded but reached the server", junk)
		}
		os.RemoveAll(filepath.Join(src, junk))
	}
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "Backed up 120 files") {
		t.Errorf("summary should count the files: %s", out)
	}
	if strings.Contains(out+errOut, srv.Password) {
		t.Error("the password appears in the command's output")
	}
	testenv.AssertSameTree(t, src, filepath.Join(srv.DataDir, "desk", "Pictures"))
}

func TestBackupUsageErrors(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no password", nil, []string{"backup", "--once", "--url", "https://example.com/dav/", "--user", "u", dir}, 2, "KUMO_PASSWORD"},
		{"no once", map[string]string{"KUMO_PASSWORD": "x"}, []string{"backup", "--url", "https://example.com/dav/", "--user", "u", dir}, 2, "--once"},
		{"plain http", map[string]string{"KUMO_PASSWORD": "x"}, []string{"backup", "--once", "--url", "http://example.com/dav/", "--user", "u", dir}, 1, "unencrypted"},
		{"no folder", map[string]string{"KUMO_PASSWORD": "x"}, []string{"backup", "--once", "--url", "https://example.com/dav/", "--user", "u"}, 2, "Usage"},
		{"unknown command", nil, []string{"frobnicate"}, 2, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, c.env, c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, c.code, c.want)
			}
		})
	}
}

// --demo backs up for real to the built-in emulator, with no account.
func TestBackupDemo(t *testing.T) {
	_, cache := isolate(t)
	src := filepath.Join(t.TempDir(), "Music")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 40, MaxSize: 2 << 10, Seed: 5, MaxDepth: 2})
	code, out, errOut := run(t, nil, "backup", "--demo", "--device", "try", src)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	stored := filepath.Join(cache, "kumo", "demo", "demo", "backup", "try", "Music")
	if !strings.Contains(out, filepath.Join(cache, "kumo", "demo", "demo", "backup")) {
		t.Errorf("the output should say where the demo files are: %s", out)
	}
	testenv.AssertSameTree(t, src, stored)
}

// kumo emulator prints what a client needs, and a client can use it.
func TestEmulatorCommand(t *testing.T) {
	isolate(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan int, 1)
	data := t.TempDir()
	go func() {
		done <- cli.Run(ctx, cli.Env{Stdout: out, Stderr: out, Getenv: func(string) string { return "" }}, []string{"emulator", "--data", data})
	}()
	// field returns the words after "name:" on the line that starts with it.
	field := func(name string) []string {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			for _, line := range strings.Split(out.String(), "\n") {
				if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == name {
					return strings.Fields(v)
				}
			}
		}
		t.Fatalf("no %q line in:\n%s", name, out.String())
		return nil
	}
	url, user, pw := field("WebDAV Connection URL")[0], field("Connection ID")[0], field("Apps Password")[0]
	caFile := field("Trust it with")[1] // "--ca-file PATH"
	src := filepath.Join(t.TempDir(), "Notes")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 10, MaxSize: 512, Seed: 6, MaxDepth: 1})
	code, stdout, stderr := run(t, map[string]string{"KUMO_PASSWORD": pw},
		"backup", "--once", "--url", url, "--user", user, "--device", "pc", "--ca-file", caFile, src)
	if code != 0 {
		t.Fatalf("backup to the emulator: exit %d\n%s\n%s", code, stdout, stderr)
	}
	testenv.AssertSameTree(t, src, filepath.Join(data, user, "dav", "pc", "Notes"))
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("emulator exited %d", code)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Without a keyring, login keeps the account settings, stores the password
// nowhere, and says how to give it instead.
func TestLoginWithoutKeyring(t *testing.T) {
	config, _ := isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	e := testenv.StartEmulator(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, e.Cert.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(e.AppsPassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, nil, "login", "--url", e.DAVURL("dav"), "--user", e.User, "--ca-file", caFile, "--password-file", pwFile)
	if code != 1 || !strings.Contains(errOut, "chmod 600") {
		t.Fatalf("a password file others can read must be refused with the fix: exit %d, %s", code, errOut)
	}
	os.Chmod(pwFile, 0o600)
	code, out, errOut := run(t, nil, "login", "--url", e.DAVURL("dav"), "--user", e.User, "--ca-file", caFile, "--password-file", pwFile)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"NOT saved", "no system keyring", "KUMO_PASSWORD", "--password-file"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the warning should mention %q: %s", want, errOut)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(config, "kumo", "config.json"))
	if err != nil || !strings.Contains(string(cfg), e.User) || strings.Contains(string(cfg), e.AppsPassword) {
		t.Fatalf("config: %v\n%s", err, cfg)
	}
	// The documented alternative works for the next command.
	src := filepath.Join(t.TempDir(), "srv")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 5, MaxSize: 100, Seed: 8, MaxDepth: 1})
	if code, out, errOut := run(t, nil, "backup", "--once", "--password-file", pwFile, src); code != 0 {
		t.Fatalf("backup with --password-file: %d\n%s\n%s", code, out, errOut)
	}
}

// daemonAccount is an emulator and a saved config, as `kumo login` leaves
// it, for the daemon's computer "srv".
func daemonAccount(t *testing.T) *testenv.Emulated {
	t.Helper()
	config, _ := isolate(t)
	e := testenv.StartEmulator(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, e.Cert.CertPEM, 0o644)
	cfg := &account.Config{Account: &account.Account{Service: account.InfiniCLOUD, URL: e.DAVURL("backup"), User: e.User, Device: "srv", CAFile: caFile}}
	if err := cfg.Save(filepath.Join(config, "kumo", "config.json")); err != nil {
		t.Fatal(err)
	}
	return e
}

// The daemon backs up now and every change as it happens, and stops cleanly.
func TestDaemon(t *testing.T) {
	e := daemonAccount(t)
	src := filepath.Join(t.TempDir(), "www")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 30, MaxSize: 1 << 10, Seed: 13, MaxDepth: 2})
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, cli.Env{Stdout: out, Stderr: out, Getenv: func(k string) string {
			return map[string]string{"KUMO_PASSWORD": e.AppsPassword, "DBUS_SYSTEM_BUS_ADDRESS": "disabled:"}[k]
		}}, []string{"daemon", "--quiet", "100ms", src})
	}()
	server := filepath.Join(e.AreaDir(e.User, "backup"), "srv", "www")
	waitFor := func(p string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, err := os.Stat(p); err == nil {
				return
			}
		}
		t.Fatalf("%s never reached the server:\n%s", p, out.String())
	}
	waitFor(filepath.Join(server, "empty.txt"))
	os.WriteFile(filepath.Join(src, "new.txt"), []byte("made while the daemon runs"), 0o644)
	waitFor(filepath.Join(server, "new.txt"))
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("daemon exited %d:\n%s", code, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	testenv.AssertSameTree(t, src, server)

	// The Apps Password is reissued while the daemon runs: it stops with
	// the fix in words and exit 3, so a service manager shows it failed.
	out = &syncBuffer{}
	go func() {
		done <- cli.Run(context.Background(), cli.Env{Stdout: out, Stderr: out, Getenv: func(k string) string {
			return map[string]string{"KUMO_PASSWORD": e.AppsPassword, "DBUS_SYSTEM_BUS_ADDRESS": "disabled:"}[k]
		}}, []string{"daemon", "--quiet", "100ms", src})
	}()
	time.Sleep(500 * time.Millisecond)
	e.UpdateAccount(e.User, func(a *emulator.Account) { a.AppsPassword = "APPS-reissued-1234" })
	os.WriteFile(filepath.Join(src, "after.txt"), []byte("written after the reissue"), 0o644)
	select {
	case code := <-done:
		if code != 3 || !strings.Contains(out.String(), "run `kumo login` with the new Apps Password") {
			t.Fatalf("after a reissue the daemon exited %d:\n%s", code, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the daemon kept running with a refused password:\n%s", out.String())
	}
	if strings.Contains(out.String(), e.AppsPassword) {
		t.Error("the daemon printed the password")
	}
}

// A backup, an edit and a second backup; then restore lists both moments,
// shows the folder as it was, restores the first moment into an empty
// folder and verifies the server's copies.
func TestRestoreAndVerifyCommands(t *testing.T) {
	isolate(t)
	srv := testenv.StartApache(t)
	env := map[string]string{"KUMO_PASSWORD": srv.Password}
	conn := []string{"--url", srv.URL, "--user", srv.User, "--device", "desk", "--ca-file", srv.Certs.CAFile}
	src := filepath.Join(t.TempDir(), "Letters")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 30, MaxSize: 8 << 10, Seed: 3, MaxDepth: 2})
	os.WriteFile(filepath.Join(src, "draft.txt"), []byte("first draft"), 0o644)
	if code, out, errOut := run(t, env, append(append([]string{"backup", "--once"}, conn...), src)...); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	first := filepath.Join(t.TempDir(), "first")
	if err := os.CopyFS(first, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	moment := time.Now()
	time.Sleep(20 * time.Millisecond)
	os.WriteFile(filepath.Join(src, "draft.txt"), []byte("second draft, much better"), 0o644)
	os.WriteFile(filepath.Join(src, "new.txt"), []byte("new"), 0o644)
	if code, out, errOut := run(t, env, append(append([]string{"backup", "--once"}, conn...), src)...); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut := run(t, env, append(append([]string{"restore", "--snapshots"}, conn...), "Letters")...)
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("--snapshots: exit %d, want two moments:\n%s%s", code, out, errOut)
	}
	at := moment.Format(time.RFC3339Nano)
	code, out, errOut = run(t, env, append(append([]string{"restore", "--ls", "--at", at}, conn...), "Letters")...)
	if code != 0 || !strings.Contains(out, "draft.txt") || strings.Contains(out, "new.txt") {
		t.Fatalf("--ls at the first moment: exit %d\n%s%s", code, out, errOut)
	}
	to := filepath.Join(t.TempDir(), "back")
	code, out, errOut = run(t, env, append(append([]string{"restore", "--at", at, "--to", to}, conn...), "Letters")...)
	if code != 0 || !strings.Contains(out, "Restored 31 files") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	testenv.AssertSameTree(t, first, to)

	code, out, errOut = run(t, env, append(append([]string{"verify", "--all"}, conn...), "Letters")...)
	if code != 0 || !strings.Contains(out, "32 downloaded with the right SHA-256") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	// A copy damaged on the server is found.
	os.WriteFile(filepath.Join(srv.DataDir, "desk", "Letters", "new.txt"), []byte("NEW"), 0o644)
	code, out, _ = run(t, env, append(append([]string{"verify", "--all"}, conn...), "Letters")...)
	if code != 1 || !strings.Contains(out, "new.txt") || !strings.Contains(out, "SHA-256") {
		t.Fatalf("verify after damage: exit %d\n%s", code, out)
	}
	if code, _, errOut = run(t, env, append(append([]string{"restore"}, conn...), "Letters")...); code != 2 || !strings.Contains(errOut, "--to") {
		t.Errorf("restore without --to: exit %d, %q", code, errOut)
	}
}
