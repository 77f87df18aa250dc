//go:build !windows && !darwin

// Package portal asks the system for a folder with its own chooser: on
// Linux the XDG desktop portal's FileChooser (OpenFile on the session bus),
// on Windows the shell's folder dialog, on macOS Finder's "choose folder",
// each with the system's input method and bookmarks instead of a dialog
// drawn by the app.
package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/godbus/dbus/v5"
)

const (
	portalName = "org.freedesktop.portal.Desktop"
	portalPath = dbus.ObjectPath("/org/freedesktop/portal/desktop")
	chooser    = "org.freedesktop.portal.FileChooser"
	request    = "org.freedesktop.portal.Request"
)

// ChooseFolder opens the desktop's folder chooser with title and waits for
// the answer: the folder's path, ErrCancelled, or ErrUnavailable when no
// portal answers (D-Bus starts one that is installed but not running).
func ChooseFolder(ctx context.Context, title string) (string, error) {
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer conn.Close()
	token, err := randomToken()
	if err != nil {
		return "", err
	}
	// The answer comes as a signal on a request object whose path the
	// portal derives from our name and token: listen before asking.
	names := conn.Names()
	if len(names) == 0 {
		return "", fmt.Errorf("%w: no name on the session bus", ErrUnavailable)
	}
	sender := strings.ReplaceAll(strings.TrimPrefix(names[0], ":"), ".", "_")
	expected := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + sender + "/" + token)
	responses := make(chan *dbus.Signal, 8)
	conn.Signal(responses)
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface(request), dbus.WithMatchMember("Response")); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	options := map[string]dbus.Variant{
		"handle_token": dbus.MakeVariant(token),
		"directory":    dbus.MakeVariant(true), // version 3 of the interface; older ones ignore it
		"modal":        dbus.MakeVariant(true),
	}
	var handle dbus.ObjectPath
	err = conn.Object(portalName, portalPath).CallWithContext(ctx, chooser+".OpenFile", 0, "", title, options).Store(&handle)
	if err != nil { // no portal, or none with a file chooser (ServiceUnknown, UnknownMethod…)
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	for {
		select {
		case <-ctx.Done():
			conn.Object(portalName, handle).Call(request+".Close", 0)
			return "", ctx.Err()
		case sig := <-responses:
			if sig == nil || (sig.Path != handle && sig.Path != expected) || len(sig.Body) < 2 {
				continue
			}
			return answer(sig.Body)
		}
	}
}

// answer reads a Request's Response: 0 with the chosen URIs, 1 cancelled,
// 2 ended otherwise.
func answer(body []any) (string, error) {
	code, _ := body[0].(uint32)
	results, _ := body[1].(map[string]dbus.Variant)
	switch code {
	case 0:
	case 1:
		return "", ErrCancelled
	default:
		return "", fmt.Errorf("the file chooser ended without an answer (%d)", code)
	}
	uris, _ := results["uris"].Value().([]string)
	if len(uris) == 0 {
		return "", ErrCancelled
	}
	u, err := url.Parse(uris[0])
	if err != nil || u.Scheme != "file" || u.Path == "" {
		return "", fmt.Errorf("the file chooser answered %q, which is not a folder on this computer", uris[0])
	}
	return u.Path, nil
}

func randomToken() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "kumo" + hex.EncodeToString(b), nil
}
