package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/kumo-backup/kumo/internal/service"
)

// trayMenu is the system tray icon and its menu.
type trayMenu struct {
	app    *App
	desk   desktop.App
	menu   *fyne.Menu
	status *fyne.MenuItem
	pause  *fyne.MenuItem
	timed  []*fyne.MenuItem // pause for an hour, until tomorrow
	icon   fyne.Resource
}

func newTrayMenu(k *App) *trayMenu {
	t := &trayMenu{app: k, desk: k.fyne.(desktop.App)}
	t.status = fyne.NewMenuItem(tr("Starting…"), nil)
	t.status.Disabled = true
	t.pause = fyne.NewMenuItem(tr("Pause"), k.togglePause)
	t.timed = k.pauseChoices()
	items := []*fyne.MenuItem{t.status, fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem(tr("Back up now"), func() { go k.svc.BackUpNow() }), t.pause}
	items = append(items, t.timed...)
	items = append(items, fyne.NewMenuItem(tr("Restore…"), k.openRestore), fyne.NewMenuItem(tr("Open Kumo"), k.Show))
	// Fyne adds Quit at the end by itself.
	t.menu = fyne.NewMenu(k.info.Name, items...)
	t.desk.SetSystemTrayMenu(t.menu)
	return t
}

func (t *trayMenu) render(st service.Status) {
	pause := tr("Pause")
	if st.State == service.Paused {
		pause = tr("Resume")
	}
	status, paused, off := trayLine(st), pause, st.State == service.SignedOut
	// Rebuilding the menu gives every item a new id over dbusmenu, so a click
	// a panel sends with the id it read is lost: rebuild only when an item
	// changes, never for progress.
	if status != t.status.Label || paused != t.pause.Label || off != t.pause.Disabled {
		t.status.Label, t.pause.Label, t.pause.Disabled = status, paused, off
		for _, it := range t.timed {
			it.Disabled = off
		}
		t.menu.Refresh()
	}
	if icon := trayIcon(st); icon != t.icon {
		t.icon = icon
		t.desk.SetSystemTrayIcon(icon)
	}
}

// trayIcon is the state's icon, or the warning clock while a folder has
// fallen behind (a problem's red mark wins: it says more).
func trayIcon(st service.Status) fyne.Resource {
	if len(st.Late) > 0 && st.State != service.Failing && st.State != service.SignedOut {
		return trayLateIcon
	}
	return trayIcons[st.State]
}

// trayLine is the status line without its live counts: the window has them.
func trayLine(st service.Status) string {
	if st.State == service.Busy && !st.AskPassword {
		return tr("Backing up…")
	}
	if st.State == service.Held { // its first sentence: "Paused: metered connection"
		return firstSentence(st.Line)
	}
	if len(st.Late) > 0 && st.State == service.Idle {
		return firstSentence(st.Late[0].Message)
	}
	return st.Line
}

// firstSentence is s up to its first full stop, English or Japanese.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "。"); i >= 0 {
		s = s[:i]
	}
	return s
}
