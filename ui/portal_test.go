package ui

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// "Choose…" asks the desktop's file chooser portal (a stand-in on a
// private session bus): the folder it answers is the one backed up.
func TestChooseFolderUsesThePortal(t *testing.T) {
	bus := testenv.SessionBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	folder := filepath.Join(t.TempDir(), "写真 2026")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(folder, "旅行.jpg"), []byte("a photo"), 0o644)
	p := testenv.StartPortal(t, bus, folder)
	k := newDemoApp(t)
	onUIWait(k.folders.choose)
	eventually(t, "the chosen folder to be backed up", 10*time.Second, func() bool {
		return slices.ContainsFunc(k.svc.Config().Folders, func(f service.Folder) bool { return f.Path == folder })
	})
	if titles := p.Titles(); len(titles) != 1 || titles[0] != tr("Choose a folder to back up") {
		t.Errorf("the portal was asked %q", titles)
	}
	var overlay bool
	onUIWait(func() { overlay = k.win.Canvas().Overlays().Top() != nil })
	if overlay {
		t.Error("with a portal, Kumo drew a dialog of its own too")
	}
}

// Without a portal, Fyne's own folder dialog opens instead.
func TestChooseFolderWithoutAPortalOpensFynesDialog(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", testenv.SessionBus(t))
	k := newDemoApp(t)
	onUIWait(k.folders.choose)
	eventually(t, "Fyne's folder dialog", 10*time.Second, func() bool {
		var overlay bool
		onUIWait(func() { overlay = k.win.Canvas().Overlays().Top() != nil })
		return overlay
	})
}
