package testenv

import (
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Portal is a stand-in for the XDG desktop portal's FileChooser on a
// private bus: OpenFile answers, as a real portal does, with a Response
// signal on the request object named after the caller and its token.
type Portal struct {
	conn   *dbus.Conn
	mu     sync.Mutex
	answer string // the folder it "chooses"; "" cancels
	Asked  []string
}

// StartPortal serves org.freedesktop.portal.Desktop on the bus at addr,
// choosing folder (or cancelling when folder is "").
func StartPortal(t testing.TB, addr, folder string) *Portal {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &Portal{conn: conn, answer: folder}
	if err := conn.Export(p, "/org/freedesktop/portal/desktop", "org.freedesktop.portal.FileChooser"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.portal.Desktop", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("taking the portal's name: %v (%v)", err, reply)
	}
	return p
}

// OpenFile is the portal's method: it returns the request's path and
// answers on it a moment later.
func (p *Portal) OpenFile(sender dbus.Sender, parent, title string, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	token, _ := options["handle_token"].Value().(string)
	dir, _ := options["directory"].Value().(bool)
	p.mu.Lock()
	p.Asked = append(p.Asked, title)
	answer := p.answer
	p.mu.Unlock()
	if !dir {
		return "", dbus.MakeFailedError(errNotDirectory)
	}
	handle := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" +
		strings.ReplaceAll(strings.TrimPrefix(string(sender), ":"), ".", "_") + "/" + token)
	go func() {
		time.Sleep(50 * time.Millisecond) // a person picking a folder
		code, results := uint32(1), map[string]dbus.Variant{}
		if answer != "" {
			uri := (&url.URL{Scheme: "file", Path: answer}).String() // percent-encoded, as portals send it
			code, results["uris"] = 0, dbus.MakeVariant([]string{uri})
		}
		p.conn.Emit(handle, "org.freedesktop.portal.Request.Response", code, results)
	}()
	return handle, nil
}

// Titles are the dialog titles the portal was asked to show.
func (p *Portal) Titles() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.Asked...)
}

type portalError string

func (e portalError) Error() string { return string(e) }

const errNotDirectory = portalError("asked for files, not a folder")
