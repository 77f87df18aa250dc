package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// The Apps Password is reissued while Kumo runs: the window asks once for
// the new one, says so in place when it is wrong, and backing up resumes
// with the right one.
func TestReissuedPasswordIsAskedForOnce(t *testing.T) {
	e := testenv.StartEmulator(t)
	k := newTestApp(t, service.Options{RootCAs: e.Pool()})
	if err := k.svc.SignIn(context.Background(), service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup,
		User: e.User, Device: "desk", Password: e.AppsPassword}, false); err != nil {
		t.Fatal(err)
	}
	onUIWait(k.signedIn)
	src := filepath.Join(t.TempDir(), "Notes")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 20, MaxSize: 1 << 10, Seed: 3, MaxDepth: 1})
	if err := k.svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first backup", 30*time.Second, func() bool { return text(k.status.line) == "Up to date" })

	const reissued = "APPS-new-after-reissue"
	e.UpdateAccount(e.User, func(acct *emulator.Account) { acct.AppsPassword = reissued })
	os.WriteFile(filepath.Join(src, "written after the reissue.txt"), []byte("still backed up"), 0o644)
	var p *passwordPrompt
	eventually(t, "the password prompt", 20*time.Second, func() bool {
		onUIWait(func() { p = k.prompt })
		return p != nil
	})
	if got := text(k.status.line); !strings.Contains(got, "refused the password") {
		t.Errorf("the status line while asking: %q", got)
	}
	typeText(p.entry, "APPS-wrong-guess")
	tap(p.submitBtn)
	eventually(t, "the wrong password's sentence", 20*time.Second, func() bool {
		s := text(p.message)
		return s != "" && s != "Checking…"
	})
	if got := text(p.message); !strings.Contains(got, "did not accept") || strings.Contains(got, "APPS-wrong-guess") {
		t.Errorf("a wrong new password says %q", got)
	}
	onUIWait(func() { p.entry.SetText("") })
	typeText(p.entry, reissued)
	tap(p.submitBtn)
	eventually(t, "the prompt to close", 30*time.Second, func() bool {
		var shown *passwordPrompt
		onUIWait(func() { shown = k.prompt })
		return shown == nil
	})
	stored := filepath.Join(e.AreaDir(e.User, "backup"), "desk", "Notes", "written after the reissue.txt")
	eventually(t, "the file written meanwhile on the server", 30*time.Second, func() bool {
		b, err := os.ReadFile(stored)
		return err == nil && string(b) == "still backed up"
	})
	eventually(t, "the status to say Up to date", 30*time.Second, func() bool { return text(k.status.line) == "Up to date" })
	if refused := e.Refused(); refused > 6 {
		t.Errorf("%d requests refused: Kumo kept trying the old password", refused)
	}
}
