package service_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/scrypt"

	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

func TestMain(m *testing.M) { testenv.SecretServiceMain(m) }

// A whole desktop session with the real keyring and the log at its most
// verbose: sign in with an API key, back up, a refused password and a
// wrong new one, the right one, sign out, with an encrypted folder among
// the backed-up ones. Afterwards the password, the new password, the API
// key and their BASIC encodings, the folder's passphrase and the keys it
// derives appear in no file Kumo wrote (config, cache, index, log, the
// catalogs on the server) and no log line; what Kumo keeps is readable by
// its owner only.
func TestSecretsAppearInNoFileAndNoLogLine(t *testing.T) {
	testenv.RequireSecretService(t)
	home := t.TempDir()
	config, cache := filepath.Join(home, "config"), filepath.Join(home, "cache")
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("XDG_CACHE_HOME", cache)
	e := testenv.StartEmulator(t)
	logFile, err := paths.OpenLog()
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	logger := slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	svc, err := service.New(service.Options{ConfigPath: filepath.Join(config, "kumo", "config.json"), RootCAs: e.Pool(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	login := service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup, User: e.User, Device: "desk",
		Password: e.AppsPassword, APIKey: e.APIKey}
	if err := svc.SignIn(ctx, login, false); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(home, "Documents")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 80, MaxSize: 4 << 10, Seed: 8, MaxDepth: 2})
	if err := svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	const passphrase = "sweep passphrase 合言葉 4d1e"
	private := filepath.Join(home, "Private")
	testenv.WriteTree(t, private, testenv.TreeSpec{Files: 30, MaxSize: 4 << 10, Seed: 9, MaxDepth: 2})
	sheet, err := svc.AddEncryptedFolder(ctx, private, nil, passphrase)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the first backup", 30*time.Second, func() bool { return svc.Status().Line == "Up to date" })

	const reissued, wrong = "APPS-reissued-b41d", "APPS-mistyped-c93e"
	e.UpdateAccount(e.User, func(acct *emulator.Account) { acct.AppsPassword = reissued })
	os.WriteFile(filepath.Join(src, "after.txt"), []byte("written after the reissue"), 0o644)
	testenv.Eventually(t, "the refused password", 20*time.Second, func() bool { return svc.Status().AskPassword })
	if err := svc.Reauthenticate(ctx, wrong); err == nil || strings.Contains(err.Error(), wrong) {
		t.Errorf("a wrong password: %v", err)
	}
	if err := svc.Reauthenticate(ctx, reissued); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the backup to resume", 30*time.Second, func() bool { return svc.Status().Line == "Up to date" })
	for _, p := range svc.Status().Problems {
		if strings.Contains(p.Message, reissued) || strings.Contains(p.Message, e.AppsPassword) {
			t.Errorf("a problem shown on screen carries a password: %s", p.Message)
		}
	}
	if err := svc.SignOut(); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	logFile.Close()

	plain := map[string]string{"the first password": e.AppsPassword, "the new password": reissued,
		"the mistyped password": wrong, "the API key": e.APIKey}
	secrets := map[string]string{}
	for name, s := range plain {
		secrets[name] = s
		secrets[name+" as BASIC"] = base64.StdEncoding.EncodeToString([]byte(e.User + ":" + s))
	}
	// The passphrase, and the keys rclone's scrypt derives from it and the folder's salt.
	salt := ""
	for _, line := range strings.Split(sheet, "\n") {
		if v, ok := strings.CutPrefix(line, "Salt:"); ok {
			salt = strings.TrimSpace(v)
		}
	}
	derived, err := scrypt.Key([]byte(passphrase), []byte(salt), 16384, 8, 1, 80)
	if salt == "" || err != nil {
		t.Fatalf("no salt on the recovery sheet (%v):\n%s", err, sheet)
	}
	secrets["the passphrase"] = passphrase
	for name, k := range map[string][]byte{"the content key": derived[:32], "the hash key": derived[32:64]} {
		secrets[name], secrets[name+" in hex"] = string(k), hex.EncodeToString(k)
		secrets[name+" in base64"] = base64.StdEncoding.EncodeToString(k)
	}
	lines := strings.Split(logged.String(), "\n")
	if len(lines) < 20 || !strings.Contains(logged.String(), "PUT") {
		t.Fatalf("only %d log lines and no request among them: the check would prove nothing", len(lines))
	}
	for _, line := range lines {
		for name, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("%s is in a log line: %s", name, line)
			}
		}
	}
	walked := 0
	for _, root := range []string{config, cache, e.AreaDir(e.User, "backup")} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			walked++
			b, _ := os.ReadFile(p)
			for name, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s is in %s", name, p)
				}
			}
			return nil
		})
	}
	// What Kumo keeps on this computer is for its owner's eyes only.
	for _, root := range []string{config, cache} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return nil
			}
			info, _ := d.Info()
			if mode := info.Mode().Perm(); mode&0o077 != 0 && !strings.HasPrefix(p, filepath.Join(cache, "kumo", "demo")) {
				t.Errorf("%s is mode %v: others can read it", p, mode)
			}
			return nil
		})
	}
	t.Logf("%d log lines and %d files (config, cache, index, log, server area) hold none of %d secrets; local files owner-only",
		len(lines), walked, len(secrets))
}
