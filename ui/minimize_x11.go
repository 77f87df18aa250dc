//go:build linux && cgo && !wayland

package ui

/*
#cgo pkg-config: x11
#include <X11/Xlib.h>

static int kumo_iconify(unsigned long win) {
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) return 0;
	int ok = XIconifyWindow(d, (Window)win, DefaultScreen(d));
	XFlush(d);
	XCloseDisplay(d);
	return ok;
}
*/
import "C"

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// minimize iconifies the window (Fyne has no call for it); false when the
// window is not an X11 one.
func minimize(w fyne.Window) bool {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return false
	}
	done := false
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok && x.WindowHandle != 0 {
			done = C.kumo_iconify(C.ulong(x.WindowHandle)) != 0
		}
	})
	return done
}
