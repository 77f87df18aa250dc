package ui

import (
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
	state  service.State
}

func newTrayMenu(k *App) *trayMenu {
	t := &trayMenu{app: k, desk: k.fyne.(desktop.App), state: -1}
	t.status = fyne.NewMenuItem("Starting…", nil)
	t.status.Disabled = true
	t.pause = fyne.NewMenuItem("Pause", k.togglePause)
	// Fyne adds Quit at the end by itself.
	t.menu = fyne.NewMenu(k.info.Name, t.status, fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Back up now", func() { go k.svc.BackUpNow() }),
		t.pause,
		fyne.NewMenuItem("Restore…", k.openRestore),
		fyne.NewMenuItem("Open Kumo", k.Show),
	)
	t.desk.SetSystemTrayMenu(t.menu)
	return t
}

func (t *trayMenu) render(st service.Status) {
	t.status.Label = st.Line
	if st.State == service.Paused {
		t.pause.Label = "Resume"
	} else {
		t.pause.Label = "Pause"
	}
	t.pause.Disabled = st.State == service.SignedOut
	t.menu.Refresh()
	if st.State != t.state {
		t.state = st.State
		t.desk.SetSystemTrayIcon(trayIcons[st.State])
	}
}
