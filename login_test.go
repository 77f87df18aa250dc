package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// Sign in once, back up with no password anywhere, sign out: the password
// lives in the real gnome-keyring and nowhere else a user could find it.
func TestLoginBackupLogoutKeepsPasswordInKeyringOnly(t *testing.T) {
	home := testenv.KeyringHome(t)
	secretTool := testenv.Require(t, "secret-tool")
	bin := kumoBinary(t)
	e := testenv.StartEmulator(t)
	work := t.TempDir()
	caFile := filepath.Join(work, "emulator.pem")
	if err := os.WriteFile(caFile, e.Cert.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	configDir, cacheDir := filepath.Join(work, "config"), filepath.Join(work, "cache")
	env := append(os.Environ(), "XDG_CONFIG_HOME="+configDir, "XDG_CACHE_HOME="+cacheDir)
	kumo := func(stdin io.Reader, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdin = env, stdin
		out, err := cmd.CombinedOutput()
		if strings.Contains(string(out), e.AppsPassword) {
			t.Errorf("kumo %s printed the password", args[0])
		}
		return string(out), err
	}

	// Login waits for the password on stdin: look at the process meanwhile.
	login := exec.Command(bin, "login", "--url", e.DAVURL("dav"), "--user", e.User, "--device", "desk", "--ca-file", caFile)
	login.Env = env
	pw, _ := login.StdinPipe()
	var loginOut bytes.Buffer
	login.Stdout, login.Stderr = &loginOut, &loginOut
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	pid := strconv.Itoa(login.Process.Pid)
	for _, f := range []string{"cmdline", "environ"} {
		b, err := os.ReadFile(filepath.Join("/proc", pid, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(e.AppsPassword)) {
			t.Errorf("the password is in /proc/%s/%s", pid, f)
		}
	}
	if ps, err := exec.Command("ps", "-eo", "args").Output(); err == nil && bytes.Contains(ps, []byte(e.AppsPassword)) {
		t.Error("the password appears in ps output")
	}
	io.WriteString(pw, e.AppsPassword+"\n")
	pw.Close()
	if err := login.Wait(); err != nil {
		t.Fatalf("kumo login: %v\n%s", err, loginOut.String())
	}
	if !strings.Contains(loginOut.String(), "Signed in as "+e.User) || !strings.Contains(loginOut.String(), "system keyring") {
		t.Errorf("login output: %s", loginOut.String())
	}
	keyringID := e.User + "@" + strings.TrimSuffix(strings.TrimPrefix(e.URL, "https://"), "/")
	stored, err := exec.Command(secretTool, "lookup", "service", "io.kumobackup.kumo", "username", keyringID).Output()
	if err != nil || string(stored) != e.AppsPassword {
		t.Fatalf("the keyring does not hold the password for %s: %q %v", keyringID, stored, err)
	}

	src := filepath.Join(work, "Documents")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 60, MaxSize: 4 << 10, Seed: 21, MaxDepth: 2})
	if out, err := kumo(nil, "backup", "--once", "-v", src); err != nil {
		t.Fatalf("kumo backup with the saved account: %v\n%s", err, out)
	}
	// The pasted /dav/ address becomes the /backup/ area, Kumo's default.
	testenv.AssertSameTree(t, src, filepath.Join(e.AreaDir(e.User, "backup"), "desk", "Documents"))
	if out, err := kumo(nil, "status"); err != nil || !strings.Contains(out, "Connection: OK") {
		t.Fatalf("kumo status: %v\n%s", err, out)
	}

	// No file Kumo wrote, and nothing in HOME but the encrypted keyring, holds it.
	logFound := false
	for _, dir := range []string{configDir, cacheDir, home} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(e.AppsPassword)) {
				t.Errorf("the password is in %s", p)
			}
			if strings.HasSuffix(p, "kumo.log") && bytes.Contains(b, []byte("method=PUT")) {
				logFound = true
			}
			return nil
		})
	}
	if !logFound {
		t.Error("no log file with request lines was written: the log check proved nothing")
	}
	if st, err := os.Stat(filepath.Join(configDir, "kumo", "config.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("config file: %v, mode %v; want owner-only", err, st)
	}

	if out, err := kumo(nil, "logout"); err != nil {
		t.Fatalf("kumo logout: %v\n%s", err, out)
	}
	if out, err := exec.Command(secretTool, "lookup", "service", "io.kumobackup.kumo", "username", keyringID).Output(); err == nil && len(out) > 0 {
		t.Error("logout left the password in the keyring")
	}
	if cfg, _ := os.ReadFile(filepath.Join(configDir, "kumo", "config.json")); bytes.Contains(cfg, []byte(`"account"`)) {
		t.Errorf("logout left the account in the config: %s", cfg)
	}
}
