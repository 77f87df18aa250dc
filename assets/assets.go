// Package assets holds Kumo's bundled images as plain bytes, so both the UI
// and packaging code can use them without pulling in a toolkit.
package assets

import _ "embed"

//go:generate go run ../internal/tools/genicons -out .

// Icon is the application icon, 512x512 PNG.
//
//go:embed icon.png
var Icon []byte

// Tray icons, 64x64 PNG, one per engine state.
var (
	//go:embed tray-idle.png
	TrayIdle []byte
	//go:embed tray-busy.png
	TrayBusy []byte
	//go:embed tray-paused.png
	TrayPaused []byte
	//go:embed tray-error.png
	TrayError []byte
	//go:embed tray-late.png
	TrayLate []byte // a backup has fallen behind
)
