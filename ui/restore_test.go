package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// signedInOnEmulator is the app signed in as the computer "desk" on a fresh emulator.
func signedInOnEmulator(t *testing.T, opts service.Options) *App {
	t.Helper()
	e := testenv.StartEmulator(t)
	opts.RootCAs = e.Pool()
	k := newTestApp(t, opts)
	if err := k.svc.SignIn(context.Background(), service.Login{Service: service.InfiniCLOUD, URL: e.DAVURL("backup"), Area: service.AreaBackup,
		User: e.User, Device: "desk", Password: e.AppsPassword}, false); err != nil {
		t.Fatal(err)
	}
	return k
}

// wizardOnBackedUp backs src up, opens the restore wizard and waits until
// it offers this computer and src's folder.
func wizardOnBackedUp(t *testing.T, k *App, src string) *restoreWizard {
	t.Helper()
	if err := k.svc.AddFolder(src, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first backup", 30*time.Second, func() bool { return k.svc.Status().Line == "Up to date" })
	onUIWait(k.openRestore)
	r := read(func() *restoreWizard { return k.wizard })
	eventually(t, "the computer and folder", 20*time.Second, func() bool {
		return read(func() bool {
			return r.source.device.Selected == "desk" && r.source.folder.Selected == filepath.Base(src)
		})
	})
	return r
}

// The wizard from start to summary: the backed-up computer and folder are
// offered, the moments are the real backups, a search narrows the
// selection, and the chosen files land in the chosen folder, nowhere else.
func TestRestoreWizardStartToSummary(t *testing.T) {
	k := signedInOnEmulator(t, service.Options{})
	src := filepath.Join(t.TempDir(), "Notes")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 20, MaxSize: 4 << 10, Seed: 4, MaxDepth: 2})
	os.WriteFile(filepath.Join(src, "recipe cake.txt"), []byte("flour, eggs"), 0o644)
	r := wizardOnBackedUp(t, k, src)
	tap(r.next)
	eventually(t, "the moments", 20*time.Second, func() bool { return read(func() bool { return r.step == stepMoment }) })
	if read(func() int { return len(r.moment.snaps) }) != 1 {
		t.Fatalf("%d moments offered, want the one backup", len(r.moment.snaps))
	}
	tap(r.next)
	eventually(t, "the file browser", 20*time.Second, func() bool { return read(func() bool { return r.step == stepSelect }) })
	if !strings.HasPrefix(text(r.sel.selInfo), "Everything: 21 files") {
		t.Errorf("selection line: %q", text(r.sel.selInfo))
	}
	typeText(r.sel.search, "cake")
	matches := read(func() []service.RestoreFile { return r.sel.matches })
	if len(matches) != 1 || matches[0].Path != "recipe cake.txt" {
		t.Fatalf("search for cake found %+v", matches)
	}
	onUIWait(func() { r.sel.pick(matches[0].Path, true) })
	if !strings.HasPrefix(text(r.sel.selInfo), "Selected: 1 files") {
		t.Errorf("selection line: %q", text(r.sel.selInfo))
	}
	tap(r.next)
	step, dest := read(func() int { return r.step }), read(func() string { return r.dest.dest.Selected })
	if step != stepDest || !strings.HasPrefix(dest, destOriginal) {
		t.Fatalf("step %d, destination %q: the original folder should be offered first", step, dest)
	}
	to := filepath.Join(t.TempDir(), "Back")
	onUIWait(func() { r.dest.dest.SetSelected(destOther); r.dest.destPath.SetText("") })
	typeText(r.dest.destPath, to)
	tap(r.next)
	eventually(t, "the summary", 20*time.Second, func() bool { return read(func() bool { return r.step == stepDone }) })
	entries, _ := os.ReadDir(to)
	if len(entries) != 1 || entries[0].Name() != "recipe cake.txt" {
		t.Fatalf("restored %v, want only the selected file", entries)
	}
	if b, _ := os.ReadFile(filepath.Join(to, "recipe cake.txt")); string(b) != "flour, eggs" {
		t.Errorf("restored content %q", b)
	}
	if got := text(r.status); got != "" {
		t.Errorf("the summary step shows an error: %q", got)
	}
	if sum := read(func() *service.RestoreSummary { return r.done.summary }); sum == nil || sum.Restored != 1 || len(sum.Failed) != 0 {
		t.Errorf("summary %+v", sum)
	}
	tap(r.next) // Close
}

// Onto a destination with Windows' rules (simulated), the wizard lists the
// names it cannot write as they are before anything is written, and Next
// then restores every file under those names with the list beside them.
func TestRestoreWizardShowsRenamingsFirst(t *testing.T) {
	k := signedInOnEmulator(t, service.Options{DestinationRules: &service.RestoreRules{Windows: true, CaseInsensitive: true}})
	src := filepath.Join(t.TempDir(), "Mixed")
	os.MkdirAll(src, 0o755)
	for _, name := range []string{"a:b.txt", "A.txt", "a.txt", "fine.txt"} {
		os.WriteFile(filepath.Join(src, name), []byte("content of "+name), 0o644)
	}
	r := wizardOnBackedUp(t, k, src)
	for _, step := range []int{stepMoment, stepSelect, stepDest} {
		tap(r.next)
		eventually(t, "the next step", 20*time.Second, func() bool { return read(func() bool { return r.step == step }) })
	}
	to := filepath.Join(t.TempDir(), "Back")
	onUIWait(func() { r.dest.dest.SetSelected(destOther); r.dest.destPath.SetText("") })
	typeText(r.dest.destPath, to)
	tap(r.next)
	eventually(t, "the renamings", 20*time.Second, func() bool { return read(func() bool { return r.dest.pending != nil }) })
	list := text(r.dest.renames)
	for _, want := range []string{"a:b.txt  →  a：b.txt", "a.txt  →  a (2).txt"} {
		if !strings.Contains(list, want) {
			t.Errorf("the renamings shown lack %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "fine.txt") {
		t.Errorf("a name that fits is listed as renamed:\n%s", list)
	}
	if _, err := os.Stat(to); !os.IsNotExist(err) {
		t.Fatalf("something was written before the renamings were accepted: %v", err)
	}
	if got := read(func() string { return r.next.Text }); got != "Restore with these names" {
		t.Errorf("Next says %q", got)
	}
	tap(r.next)
	eventually(t, "the summary", 20*time.Second, func() bool { return read(func() bool { return r.step == stepDone }) })
	for name, content := range map[string]string{"a：b.txt": "a:b.txt", "A.txt": "A.txt", "a (2).txt": "a.txt", "fine.txt": "fine.txt"} {
		if b, _ := os.ReadFile(filepath.Join(to, name)); string(b) != "content of "+content {
			t.Errorf("%s holds %q, want %s's content", name, b, content)
		}
	}
	if _, err := os.Stat(filepath.Join(to, service.RenamingsFile)); err != nil {
		t.Errorf("no list of renamings beside the restored files: %v", err)
	}
	tap(r.next) // Close
}
