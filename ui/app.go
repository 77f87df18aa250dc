// Package ui is Kumo's Fyne desktop app: windows, tray and dialogs. It renders
// engine state and never does I/O on the UI goroutine.
package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/assets"
)

// Info is the build's identity, shown in the window and used for the app ID.
type Info struct {
	ID, Name, Version, Commit string
	Build                     int
	Migrations                map[string]bool
}

var (
	iconResource     = fyne.NewStaticResource("icon.png", assets.Icon)
	trayIdleResource = fyne.NewStaticResource("tray-idle.png", assets.TrayIdle)
)

// Run opens the main window and blocks until the app quits.
func Run(info Info) {
	app.SetMetadata(fyne.AppMetadata{
		ID: info.ID, Name: info.Name, Version: info.Version, Build: info.Build,
		Icon: iconResource, Migrations: info.Migrations,
	})
	a := app.NewWithID(info.ID)
	a.SetIcon(iconResource)
	w := NewMainWindow(a, info)
	if tray, ok := a.(desktop.App); ok {
		// Fyne appends Quit to the tray menu itself.
		tray.SetSystemTrayMenu(fyne.NewMenu(info.Name, fyne.NewMenuItem("Open Kumo", w.Show)))
		tray.SetSystemTrayIcon(trayIdleResource)
	}
	w.ShowAndRun()
}

// NewMainWindow builds the main window. For now it introduces Kumo; sign-in
// and folder selection grow here.
func NewMainWindow(a fyne.App, info Info) fyne.Window {
	w := a.NewWindow(info.Name)
	logo := canvas.NewImageFromResource(iconResource)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(128, 128))

	title := widget.NewLabelWithStyle("Kumo Backup", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	intro := widget.NewLabelWithStyle(
		"Back up your folders to InfiniCLOUD or any WebDAV server.\n"+
			"Sign-in and folder selection are coming to this window.\n"+
			"Today, back up from a terminal:  kumo backup --once --url URL --user ID FOLDER",
		fyne.TextAlignCenter, fyne.TextStyle{})
	intro.Wrapping = fyne.TextWrapWord
	version := widget.NewLabelWithStyle(fmt.Sprintf("Version %s (%s)", info.Version, info.Commit),
		fyne.TextAlignCenter, fyne.TextStyle{Italic: true})

	w.SetContent(container.NewPadded(container.NewVBox(logo, title, intro, version)))
	w.Resize(fyne.NewSize(560, 380))
	w.CenterOnScreen()
	return w
}
