package service_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// What the window does with an encrypted folder: it is added with a
// passphrase and backed up encrypted, its recovery sheet given once; on a
// fresh machine the restore wizard's reads say a passphrase is needed, a
// wrong one has its own sentence, and the right one restores the folder.
// The same computer installed again adds the folder with its passphrase,
// with no new sheet and nothing uploaded again.
func TestEncryptedFolderThroughTheService(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	e := testenv.StartEmulator(t)
	ctx := context.Background()
	open := func(device string, takeOver bool) *service.Service {
		t.Helper()
		svc, err := service.New(service.Options{ConfigPath: filepath.Join(t.TempDir(), "config.json"), RootCAs: e.Pool(), NoKeyring: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc.Close)
		login := service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup, User: e.User,
			Device: device, Password: e.AppsPassword}
		if err := svc.SignIn(ctx, login, takeOver); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	upToDate := func(svc *service.Service) func() bool {
		return func() bool { st := svc.Status(); return st.State == service.Idle && !st.LastBackup.IsZero() }
	}
	const passphrase = "夏の雲と correct staple"
	svc := open("laptop", false)
	src := filepath.Join(t.TempDir(), "Documents")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 40, MaxSize: 100 << 10, Seed: 31, MaxDepth: 2})
	if _, err := svc.AddEncryptedFolder(ctx, src, nil, "short"); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Fatalf("a short passphrase: %v", err)
	}
	sheet, err := svc.AddEncryptedFolder(ctx, src, nil, passphrase)
	if err != nil || !strings.Contains(sheet, "[kumo-Documents]") || !strings.Contains(sheet, passphrase) {
		t.Fatalf("adding an encrypted folder: %v\n%s", err, sheet)
	}
	testenv.Eventually(t, "the first encrypted backup", 60*time.Second, upToDate(svc))
	onServer := filepath.Join(e.AreaDir(e.User, "backup"), "laptop", "Documents")
	files := 0
	filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
			rel, _ := filepath.Rel(src, p)
			if _, err := os.Stat(filepath.Join(onServer, rel+crypt.Suffix)); err != nil {
				t.Errorf("%s is not on the server encrypted: %v", rel, err)
			}
		}
		return nil
	})
	if cfg := svc.Config(); len(cfg.Folders) != 1 || !cfg.Folders[0].Encrypted {
		t.Errorf("the settings do not say the folder is encrypted: %+v", cfg.Folders)
	}
	svc.Close()

	// A fresh machine restores it.
	other := open("desk", false)
	_, err = other.Snapshots(ctx, "laptop", "Documents")
	if !service.NeedsPassphrase(err) || !strings.Contains(service.Sentence(err), "passphrase is needed") {
		t.Fatalf("reading an encrypted folder's backups without its passphrase: %v (%q)", err, service.Sentence(err))
	}
	err = other.UnlockBackups(ctx, "laptop", "Documents", "not it at all")
	if !service.NeedsPassphrase(err) || !strings.Contains(service.Sentence(err), "does not open") {
		t.Fatalf("a wrong passphrase: %v (%q)", err, service.Sentence(err))
	}
	if err := other.UnlockBackups(ctx, "laptop", "Documents", passphrase); err != nil {
		t.Fatal(err)
	}
	snaps, err := other.Snapshots(ctx, "laptop", "Documents")
	if err != nil || len(snaps) == 0 {
		t.Fatalf("moments after unlocking: %v %v", snaps, err)
	}
	v, err := other.OpenSnapshot(ctx, "laptop", "Documents", snaps[len(snaps)-1].Time)
	if err != nil || len(v.Files) != files {
		t.Fatalf("the newest moment: %v, %d files of %d", err, len(v.Files), files)
	}
	to := filepath.Join(t.TempDir(), "restored")
	sum, err := other.Restore(ctx, v, service.RestoreOptions{To: to})
	if err != nil || sum.Restored != files {
		t.Fatalf("restore: %v %+v", err, sum)
	}
	testenv.AssertSameTree(t, src, to)
	other.Close()

	// The same computer installed again.
	again := open("laptop", true)
	puts := e.Requests("PUT")
	if _, err := again.AddEncryptedFolder(ctx, src, nil, "a wrong long passphrase"); !service.NeedsPassphrase(err) {
		t.Fatalf("re-adding with a wrong passphrase: %v", err)
	}
	if n := len(again.Config().Folders); n != 0 {
		t.Fatalf("a wrong passphrase added the folder (%d folders)", n)
	}
	sheet, err = again.AddEncryptedFolder(ctx, src, nil, passphrase)
	if err != nil || sheet != "" {
		t.Fatalf("re-adding with the passphrase: %v, sheet %q (want none: it was shown when the folder was set up)", err, sheet)
	}
	testenv.Eventually(t, "the re-added folder's backup", 60*time.Second, upToDate(again))
	if n := e.Requests("PUT") - puts; n > 1 {
		t.Errorf("re-adding the folder uploaded %d times (at most one catalog)", n)
	}
}

// Turning encryption on for a folder backed up without it: the unencrypted
// backup is set aside on the server, whole and restorable under its new
// name, and every file is uploaded again, encrypted.
func TestEncryptingAFolderBackedUpWithout(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	e := testenv.StartEmulator(t)
	ctx := context.Background()
	svc, err := service.New(service.Options{ConfigPath: filepath.Join(t.TempDir(), "config.json"), RootCAs: e.Pool(), NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if err := svc.SignIn(ctx, service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup, User: e.User,
		Device: "laptop", Password: e.AppsPassword}, false); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "Letters")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 30, MaxSize: 8 << 10, Seed: 41, MaxDepth: 2})
	os.WriteFile(filepath.Join(src, "draft.txt"), []byte("first draft"), 0o644)
	if err := svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	area := e.AreaDir(e.User, "backup")
	uploaded := func(rel string) func() bool {
		return func() bool { _, err := os.Stat(filepath.Join(area, "laptop", "Letters", rel)); return err == nil }
	}
	testenv.Eventually(t, "the unencrypted backup", 60*time.Second, func() bool {
		st := svc.Status()
		return uploaded("draft.txt")() && st.State == service.Idle && !st.LastBackup.IsZero()
	})
	// An edit, so that the backup set aside has a version too.
	last := svc.Status().LastBackup
	os.WriteFile(filepath.Join(src, "draft.txt"), []byte("second draft"), 0o644)
	testenv.Eventually(t, "the edit's backup", 60*time.Second, func() bool { return svc.Status().LastBackup.After(last) })
	plain := filepath.Join(t.TempDir(), "plain")
	os.CopyFS(plain, os.DirFS(src))

	puts := e.Requests("PUT")
	sheet, aside, err := svc.EncryptFolder(ctx, src, "a passphrase for my letters")
	if err != nil || !strings.Contains(sheet, "[kumo-Letters]") || !strings.HasPrefix(aside, "Letters (unencrypted ") {
		t.Fatalf("EncryptFolder: %v, aside %q\n%s", err, aside, sheet)
	}
	testenv.Eventually(t, "the encrypted backup", 60*time.Second, uploaded("draft.txt"+crypt.Suffix))
	testenv.Eventually(t, "every file uploaded again, encrypted", 60*time.Second, func() bool {
		missing := 0
		filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if rel, _ := filepath.Rel(src, p); err == nil && d.Type().IsRegular() && !uploaded(rel+crypt.Suffix)() {
				missing++
			}
			return nil
		})
		return missing == 0
	})
	if n, files := e.Requests("PUT")-puts, countFiles(t, src); n < int64(files) {
		t.Errorf("%d PUT for %d files", n, files)
	}
	if _, err := os.Stat(filepath.Join(area, "laptop", "Letters", "draft.txt")); err == nil {
		t.Error("the unencrypted copy is still beside the encrypted one")
	}
	testenv.AssertSameTree(t, plain, filepath.Join(area, "laptop", aside))
	if versions, _ := os.ReadDir(filepath.Join(area, "laptop", ".kumo", "versions", aside, "draft.txt")); len(versions) != 1 {
		t.Errorf("the set-aside backup has %d versions of draft.txt, want the first draft", len(versions))
	}

	// The set-aside backup restores as it was, with its history.
	snaps, err := svc.Snapshots(ctx, "laptop", aside)
	if err != nil || len(snaps) == 0 {
		t.Fatalf("the set-aside backup's moments: %v %v", snaps, err)
	}
	v, err := svc.OpenSnapshot(ctx, "laptop", aside, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "restored")
	if _, err := svc.Restore(ctx, v, service.RestoreOptions{To: to}); err != nil {
		t.Fatal(err)
	}
	testenv.AssertSameTree(t, plain, to)
	if cfg := svc.Config(); len(cfg.Folders) != 1 || !cfg.Folders[0].Encrypted {
		t.Errorf("the settings: %+v", cfg.Folders)
	}
}

func countFiles(t *testing.T, root string) (n int) {
	t.Helper()
	filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// The keyring lost an encrypted folder's passphrase (here: a service that
// keeps none, started again, on the demo server): the folder says a
// passphrase is needed and backs up nothing; a wrong one changes nothing;
// the right one, given through UnlockFolder, lets its backup go on.
func TestPassphraseGivenAgain(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx := context.Background()
	config, demo := filepath.Join(t.TempDir(), "config.json"), t.TempDir()
	start := func() *service.Service {
		t.Helper()
		svc, err := service.New(service.Options{ConfigPath: config, DemoDir: demo, NoKeyring: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc.Close)
		return svc
	}
	svc := start()
	if err := svc.StartDemo(); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "Taxes")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "2025.txt"), []byte("receipts"), 0o644)
	const passphrase = "the taxes passphrase"
	if _, err := svc.AddEncryptedFolder(ctx, src, nil, passphrase); err != nil {
		t.Fatal(err)
	}
	onServer := func(rel string) bool {
		_, err := os.Stat(filepath.Join(svc.DemoDir(), svc.Device(), "Taxes", rel+crypt.Suffix))
		return err == nil
	}
	testenv.Eventually(t, "the first backup", 30*time.Second, func() bool { return onServer("2025.txt") })
	svc.Close()

	svc = start()
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "2026.txt"), []byte("more receipts"), 0o644)
	testenv.Eventually(t, "the passphrase to be asked for", 30*time.Second, func() bool {
		for _, p := range svc.Status().Problems {
			if strings.Contains(p.Message, "passphrase is needed") {
				return true
			}
		}
		return false
	})
	if onServer("2026.txt") {
		t.Fatal("a folder without its key was backed up")
	}
	if err := svc.UnlockFolder(ctx, src, "not the passphrase"); !service.NeedsPassphrase(err) {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	if err := svc.UnlockFolder(ctx, src, passphrase); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the backup to go on", 30*time.Second, func() bool { return onServer("2026.txt") })
}
