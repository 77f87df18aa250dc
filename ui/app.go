// Package ui is Kumo's Fyne desktop app: windows, tray and dialogs, split by
// screen. It renders the service's Status and calls the service from
// background goroutines: nothing here does I/O on the UI goroutine, and
// widgets change only inside fyne.Do.
package ui

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/kumo-backup/kumo/assets"
	"github.com/kumo-backup/kumo/internal/autostart"
	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/internal/instance"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/internal/service"
	"github.com/kumo-backup/kumo/internal/trayhost"
)

// Info is the build's identity, shown in the window and used for the app ID.
type Info struct {
	ID, Name, Version, Commit, Date string
	Build                           int
	Migrations                      map[string]bool
	Hidden                          bool // started at login: straight to the tray
	OpenRestore                     bool // opened from the "Restore files" launcher action
}

var (
	iconResource = fyne.NewStaticResource("icon.png", assets.Icon)
	trayIcons    = map[service.State]fyne.Resource{
		service.SignedOut: fyne.NewStaticResource("tray-idle.png", assets.TrayIdle),
		service.Idle:      fyne.NewStaticResource("tray-idle.png", assets.TrayIdle),
		service.Busy:      fyne.NewStaticResource("tray-busy.png", assets.TrayBusy),
		service.Paused:    fyne.NewStaticResource("tray-paused.png", assets.TrayPaused),
		service.Failing:   fyne.NewStaticResource("tray-error.png", assets.TrayError),
		service.Held:      fyne.NewStaticResource("tray-paused.png", assets.TrayPaused),
	}
	trayLateIcon = fyne.NewStaticResource("tray-late.png", assets.TrayLate)
)

// Run opens Kumo and blocks until it quits. A second launch brings the
// running window forward instead of starting a second engine.
func Run(info Info) {
	app.SetMetadata(fyne.AppMetadata{
		ID: info.ID, Name: info.Name, Version: info.Version, Build: info.Build,
		Icon: iconResource, Migrations: info.Migrations,
	})
	var k *App
	requests := make(chan string, 4)
	request := instance.Show
	if info.OpenRestore {
		request = instance.Restore
	}
	lock, err := instance.Acquire(info.ID, request, func(req string) {
		select {
		case requests <- req:
		default:
		}
	})
	if err == instance.ErrRunning {
		fmt.Fprintln(os.Stderr, tr("Kumo is already running: its window was brought forward."))
		return
	}
	if lock != nil {
		defer lock.Release()
	}
	a := app.NewWithID(info.ID)
	a.SetIcon(iconResource)
	logger := slog.New(slog.DiscardHandler)
	if f, err := paths.OpenLog(); err == nil {
		defer f.Close()
		logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})) // the service redacts what it logs
	}
	svc, err := service.New(service.Options{Version: info.Version, Logger: logger, Autostart: autostartEntry(info),
		Conditions: conditions.System(),
		OnChange:   func(st service.Status) { onUI(func() { k.render(st) }) }})
	if err != nil {
		w := a.NewWindow(info.Name)
		w.SetContent(container.NewPadded(container.NewVBox()))
		dialog.ShowError(err, w)
		w.ShowAndRun()
		return
	}
	defer svc.Close()
	k = New(a, svc, info)
	go func() {
		for req := range requests {
			if req == instance.Restore {
				onUI(k.openRestore)
			} else {
				onUI(k.Show)
			}
		}
	}()
	k.Start()
	if info.OpenRestore {
		k.openRestoreWhenConnected()
	}
	// Started at login straight into the tray, unless this desktop shows no
	// tray icons: then the window opens, or Kumo would run unseen.
	if info.Hidden && k.tray && trayhost.Available(context.Background()) {
		a.Run()
		return
	}
	k.win.ShowAndRun()
}

// App is the desktop app's state: the main window, its screens and the tray.
type App struct {
	fyne    fyne.App
	svc     *service.Service
	info    Info
	win     fyne.Window
	tray    bool
	status  *statusScreen
	folders *foldersScreen
	setts   *settingsScreen
	tabs    *container.AppTabs
	menu    *trayMenu
	onboard *onboarding
	wizard  *restoreWizard  // the last restore wizard opened
	seen    map[string]bool // problems already notified
	// onNotify, when set, hears every notification (tests).
	onNotify func(title, msg string)
	last     service.Status
	// trayHost: this desktop shows tray icons (checked off the UI goroutine).
	trayHost atomic.Bool
	// prompt asks for a new password; askedPassword: shown for this refusal.
	prompt        *passwordPrompt
	askedPassword bool
}

// New builds the windows; Start begins the backup.
func New(a fyne.App, svc *service.Service, info Info) *App {
	if err := useLanguage(svc.Config().Settings.Language); err != nil {
		fyne.LogError("loading the translations", err)
	}
	k := &App{fyne: a, svc: svc, info: info, seen: map[string]bool{}}
	k.win = a.NewWindow(info.Name)
	k.win.SetIcon(iconResource)
	k.win.Resize(fyne.NewSize(720, 620))
	_, k.tray = a.(desktop.App)
	if k.tray {
		k.menu = newTrayMenu(k)
		k.win.SetCloseIntercept(k.closeToTray)
		go k.checkTray()
	}
	k.status = newStatusScreen(k)
	k.folders = newFoldersScreen(k)
	k.setts = newSettingsScreen(k)
	k.tabs = container.NewAppTabs(
		container.NewTabItem(tr("Status"), k.status.content),
		container.NewTabItem(tr("Folders"), k.folders.content),
		container.NewTabItem(tr("Settings"), k.setts.content),
	)
	if svc.SignedIn() {
		k.win.SetContent(k.tabs)
	} else {
		k.signedOut()
	}
	k.render(svc.Status())
	return k
}

// Window is the main window.
func (k *App) Window() fyne.Window { return k.win }

// Start connects and starts watching, in the background.
func (k *App) Start() {
	if !k.svc.SignedIn() {
		return
	}
	go func() {
		if err := k.svc.Start(); err != nil {
			onUI(func() { k.status.setError(service.Sentence(err)) })
		}
	}()
}

// openRestoreWhenConnected opens the wizard once the account is connected.
func (k *App) openRestoreWhenConnected() {
	go func() {
		for range 100 {
			if k.svc.Connected() {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		onUI(k.openRestore)
	}()
}

// Show brings the main window forward.
func (k *App) Show() {
	k.win.Show()
	k.win.RequestFocus()
}

// signedIn switches from onboarding to the main screens.
func (k *App) signedIn() {
	k.folders.reload()
	k.setts.reload()
	if len(k.svc.Config().Folders) == 0 {
		k.tabs.SelectIndex(1)
	}
	k.win.SetContent(k.tabs)
}

// signedOut returns to onboarding.
func (k *App) signedOut() {
	k.onboard = newOnboarding(k)
	k.win.SetContent(k.onboard.content)
}

// closeToTray hides the window; the backup goes on in the tray. A desktop
// that shows no tray icons (stock GNOME) would make Kumo seem to vanish:
// there the window is minimized instead.
func (k *App) closeToTray() {
	if k.trayHost.Load() {
		k.win.Hide()
		k.hintOnce(tr("Kumo is still running in the system tray. Choose Quit from its menu to stop backing up."))
	} else if minimize(k.win) {
		k.hintOnce(tr("Your desktop shows no tray icons, so Kumo stays open, minimized. To stop backing up, choose Quit Kumo in Settings."))
	} else {
		k.hintOnce(tr("Your desktop shows no tray icons, so Kumo's window stays open. To stop backing up, choose Quit Kumo in Settings."))
	}
	go k.checkTray() // for the next close: a panel may have started since
}

// checkTray asks the desktop whether it shows tray icons (D-Bus: not on
// the UI goroutine).
func (k *App) checkTray() { k.trayHost.Store(trayhost.Available(context.Background())) }

// hintOnce tells, the first time the window is closed, that backing up goes on.
func (k *App) hintOnce(msg string) {
	if !k.svc.Config().TrayHintShown {
		k.notify(tr("Kumo keeps backing up"), msg)
		go k.svc.SetTrayHintShown()
	}
}

// render shows a new Status everywhere; it runs on the UI goroutine.
func (k *App) render(st service.Status) {
	if k == nil {
		return
	}
	k.last = st
	k.status.render(st)
	if k.menu != nil {
		k.menu.render(st)
	}
	k.askPassword(st.AskPassword)
	for _, p := range st.Problems {
		if p.Notify && !k.seen[p.Message+p.Folder] {
			k.seen[p.Message+p.Folder] = true
			k.notify(tr("Kumo needs you"), p.Message)
		}
	}
	// One notification per folder falling behind, until it catches up.
	for _, l := range st.Late {
		if key := "late\x00" + l.Folder + l.Since.String(); !k.seen[key] {
			k.seen[key] = true
			k.notify(tr("Kumo has not backed up lately"), l.Message)
		}
	}
}

// notify shows a desktop notification (tests count them).
func (k *App) notify(title, msg string) {
	if k.onNotify != nil {
		k.onNotify(title, msg)
	}
	k.fyne.SendNotification(fyne.NewNotification(title, msg))
}

// togglePause pauses until resumed, or resumes, as the status shown says.
func (k *App) togglePause() {
	paused := k.last.State == service.Paused
	go func() {
		if paused {
			k.svc.Resume()
		} else {
			k.svc.Pause()
		}
	}()
}

// pauseFor and pauseUntilTomorrow are the timed pauses, saved by the
// service (off the UI goroutine) and ended by it on time.
func (k *App) pauseFor(d time.Duration) { go k.svc.PauseUntil(time.Now().Add(d)) }
func (k *App) pauseUntilTomorrow()      { go k.svc.PauseUntil(service.Tomorrow(time.Now())) }

// pauseChoices are the ways to pause, for the tray and the window alike.
func (k *App) pauseChoices() []*fyne.MenuItem {
	return []*fyne.MenuItem{
		fyne.NewMenuItem(tr(pauseHourLabel), func() { k.pauseFor(time.Hour) }),
		fyne.NewMenuItem(tr(pauseTomorrowLabel), k.pauseUntilTomorrow),
	}
}

const (
	pauseHourLabel     = "Pause for 1 hour"
	pauseTomorrowLabel = "Pause until tomorrow"
)

// background runs work off the UI goroutine and then done on it.
func background[T any](work func() (T, error), done func(T, error)) {
	go func() {
		v, err := work()
		onUI(func() { done(v, err) })
	}()
}

func homeDir() string {
	h, err := os.UserHomeDir()
	if err != nil {
		return os.TempDir()
	}
	return h
}

// autostartEntry is the login entry "start at login" writes.
func autostartEntry(info Info) autostart.Entry { return autostart.Entry{ID: info.ID, Name: info.Name} }
