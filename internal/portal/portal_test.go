//go:build !windows && !darwin

package portal_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/portal"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// On a private session bus: without a portal the caller hears so at once;
// with one (a stand-in implementing OpenFile), the folder it answers comes
// back as a path, a Japanese name with a space included; a cancel is a cancel.
func TestChooseFolderThroughThePortal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bus := testenv.SessionBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	start := time.Now()
	if _, err := portal.ChooseFolder(ctx, "Choose a folder"); !errors.Is(err, portal.ErrUnavailable) {
		t.Fatalf("without a portal: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("finding out there is no portal took %v", d)
	}

	want := filepath.Join(t.TempDir(), "写真 2026")
	p := testenv.StartPortal(t, bus, want)
	got, err := portal.ChooseFolder(ctx, "Choose a folder to back up")
	if err != nil || got != want {
		t.Fatalf("the portal chose %q, Kumo heard %q (%v)", want, got, err)
	}
	if titles := p.Titles(); len(titles) != 1 || titles[0] != "Choose a folder to back up" {
		t.Errorf("the portal was asked %q", titles)
	}

	other := testenv.SessionBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", other)
	testenv.StartPortal(t, other, "")
	if _, err := portal.ChooseFolder(ctx, "Choose"); !errors.Is(err, portal.ErrCancelled) {
		t.Errorf("a cancelled dialog gave %v", err)
	}
}
