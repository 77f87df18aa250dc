package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// A person adds a folder with "Encrypt" ticked: the passphrase is asked
// twice (too short and mismatched ones get their sentence), the recovery
// sheet is shown once, and the files reach the server encrypted. Signed
// in as a fresh computer, the restore wizard asks for the passphrase,
// says so when it is wrong, and with the right one restores the folder.
func TestEncryptedFolderInTheWindow(t *testing.T) {
	e := testenv.StartEmulator(t)
	k := newTestApp(t, service.Options{RootCAs: e.Pool()})
	signIn := func(device string) {
		t.Helper()
		if err := k.svc.SignIn(context.Background(), service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup,
			User: e.User, Device: device, Password: e.AppsPassword}, false); err != nil {
			t.Fatal(err)
		}
	}
	signIn("desk")
	src := filepath.Join(t.TempDir(), "Secret")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 15, MaxSize: 8 << 10, Seed: 12, MaxDepth: 2})
	os.WriteFile(filepath.Join(src, "日記.txt"), []byte("今日は晴れ"), 0o644)

	typeText(k.folders.path, src)
	onUIWait(func() { k.folders.encrypt.SetChecked(true) })
	tap(findButton(t, k.folders.content, "Add folder"))
	p := read(func() *passphraseDialog { return k.folders.asked })
	if p == nil {
		t.Fatal("ticking Encrypt did not ask for a passphrase")
	}
	const passphrase = "雲の上の correct horse"
	try := func(first, second, want string) {
		t.Helper()
		onUIWait(func() { p.entry.SetText(first); p.again.SetText(second) })
		tap(p.ok)
		if got := text(p.message); !strings.Contains(got, want) {
			t.Errorf("passphrases %q and %q: %q, want %q", first, second, got, want)
		}
	}
	try("short", "short", "shorter than 8")
	try(passphrase, passphrase+" ", "differ")
	if n := len(k.svc.Config().Folders); n != 0 {
		t.Fatalf("a refused passphrase added the folder (%d folders)", n)
	}
	onUIWait(func() { p.again.SetText(passphrase) })
	tap(p.ok)
	eventually(t, "the folder to be added", 30*time.Second, func() bool { return strings.HasPrefix(text(k.folders.message), "Added") })
	sheet := read(func() *recoverySheet { return k.folders.sheet })
	if sheet == nil {
		t.Fatal("no recovery sheet was shown")
	}
	if got := text(sheet.text); !strings.Contains(got, passphrase) || !strings.Contains(got, "[kumo-Secret]") || !strings.Contains(got, "filename_encryption = off") {
		t.Errorf("the recovery sheet:\n%s", got)
	}
	if cfg := k.svc.Config(); len(cfg.Folders) != 1 || !cfg.Folders[0].Encrypted {
		t.Fatalf("the settings: %+v", cfg.Folders)
	}
	eventually(t, "the first backup", 30*time.Second, func() bool { return k.svc.Status().Line == "Up to date" })
	if _, err := os.Stat(filepath.Join(e.AreaDir(e.User, "backup"), "desk", "Secret", "日記.txt.bin")); err != nil {
		t.Errorf("the file is not on the server encrypted: %v", err)
	}

	// A fresh computer of the same account.
	if err := k.svc.RemoveFolder(src); err != nil {
		t.Fatal(err)
	}
	if err := k.svc.SignOut(); err != nil {
		t.Fatal(err)
	}
	signIn("laptop")
	onUIWait(k.openRestore)
	r := read(func() *restoreWizard { return k.wizard })
	eventually(t, "the computers", 20*time.Second, func() bool {
		return read(func() bool { return slices.Contains(r.source.device.Options, "desk") })
	})
	onUIWait(func() { r.source.device.SetSelected("desk") })
	eventually(t, "the computer and folder", 20*time.Second, func() bool {
		var d, f string
		onUIWait(func() { d, f = r.source.device.Selected, r.source.folder.Selected })
		return d == "desk" && f == "Secret"
	})
	tap(r.next)
	eventually(t, "the passphrase to be asked", 20*time.Second, func() bool { return read(func() bool { return r.moment.unlock != nil }) })
	u := read(func() *passphraseDialog { return r.moment.unlock })
	if u.again != nil {
		t.Error("opening a folder asks the passphrase twice")
	}
	typeText(u.entry, "not the passphrase")
	tap(u.ok)
	eventually(t, "the wrong passphrase's sentence", 20*time.Second, func() bool { return strings.Contains(text(u.message), "does not open") })
	onUIWait(func() { u.entry.SetText(passphrase) })
	tap(u.ok)
	eventually(t, "the moments", 20*time.Second, func() bool { return read(func() bool { return r.step == stepMoment }) })
	tap(r.next)
	eventually(t, "the file browser", 20*time.Second, func() bool { return read(func() bool { return r.step == stepSelect }) })
	tap(r.next)
	to := filepath.Join(t.TempDir(), "Back")
	onUIWait(func() { r.dest.dest.SetSelected(destOther); r.dest.destPath.SetText("") })
	typeText(r.dest.destPath, to)
	tap(r.next)
	eventually(t, "the summary", 30*time.Second, func() bool { return read(func() bool { return r.step == stepDone }) })
	testenv.AssertSameTree(t, src, to)
	if got := text(r.status); got != "" {
		t.Errorf("the summary step shows an error: %q", got)
	}
}

// Encrypt… on a folder backed up without encryption says what it costs
// (every file again, the old backup kept), asks a passphrase twice and
// shows the recovery sheet; the folder is then backed up encrypted.
func TestEncryptingABackedUpFolderInTheWindow(t *testing.T) {
	e := testenv.StartEmulator(t)
	k := newTestApp(t, service.Options{RootCAs: e.Pool()})
	if err := k.svc.SignIn(context.Background(), service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup,
		User: e.User, Device: "desk", Password: e.AppsPassword}, false); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "Album")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 12, MaxSize: 4 << 10, Seed: 17, MaxDepth: 1})
	if err := k.svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first backup", 30*time.Second, func() bool {
		st := k.svc.Status()
		return st.State == service.Idle && !st.LastBackup.IsZero()
	})
	onUIWait(k.folders.reload)
	tap(findButton(t, k.folders.content, "Encrypt…"))
	eventually(t, "what encrypting costs", 20*time.Second, func() bool { return read(func() bool { return k.folders.confirm != nil }) })
	var top fyne.CanvasObject
	onUIWait(func() { top = k.win.Canvas().Overlays().Top() })
	if top == nil {
		t.Fatal("no dialog says what encrypting costs")
	}
	tap(findButton(t, top, "Yes"))
	p := read(func() *passphraseDialog { return k.folders.asked })
	if p == nil || p.again == nil {
		t.Fatal("the passphrase is not asked twice")
	}
	onUIWait(func() { p.entry.SetText("album passphrase 2026"); p.again.SetText("album passphrase 2026") })
	tap(p.ok)
	eventually(t, "encryption to be on", 30*time.Second, func() bool { return strings.HasPrefix(text(k.folders.message), "Encryption is on") })
	if read(func() *recoverySheet { return k.folders.sheet }) == nil {
		t.Error("no recovery sheet was shown")
	}
	if cfg := k.svc.Config(); len(cfg.Folders) != 1 || !cfg.Folders[0].Encrypted {
		t.Fatalf("the settings: %+v", cfg.Folders)
	}
	server := filepath.Join(e.AreaDir(e.User, "backup"), "desk", "Album")
	eventually(t, "the encrypted backup", 30*time.Second, func() bool {
		entries, _ := os.ReadDir(server)
		for _, en := range entries {
			if !en.IsDir() && strings.HasSuffix(en.Name(), ".bin") {
				return true
			}
		}
		return false
	})
}
