// Package instance keeps Kumo to one desktop instance per user: the first
// listens on a local socket, a second launch asks it to show its window.
package instance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ErrRunning means another instance is running and was asked to show itself.
var ErrRunning = errors.New("another Kumo is already running")

// Lock is held by the running instance.
type Lock struct{ ln net.Listener }

// socketPath is per user and per app ID, in the runtime folder when there is one.
func socketPath(id string) string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	sum := sha256.Sum256([]byte(id + "\x00" + os.Getenv("HOME") + "\x00" + os.Getenv("XDG_CONFIG_HOME")))
	return filepath.Join(dir, "kumo-"+hex.EncodeToString(sum[:6])+".sock")
}

// Requests a later launch can make of the running instance.
const (
	Show    = "show"
	Restore = "restore" // open the restore wizard
)

// Acquire makes this the running instance, calling handle with each
// request a later launch makes; if another instance runs, request is sent
// to it and ErrRunning returned. Other failures return a nil Lock and nil
// error: running twice is better than not running.
func Acquire(id, request string, handle func(request string)) (*Lock, error) {
	p := socketPath(id)
	if c, err := net.DialTimeout("unix", p, time.Second); err == nil {
		_, _ = c.Write([]byte(request + "\n"))
		c.Close()
		return nil, ErrRunning
	}
	_ = os.Remove(p) // a stale socket from a crash
	ln, err := net.Listen("unix", p)
	if err != nil {
		return nil, nil
	}
	_ = os.Chmod(p, 0o600)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 16)
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			switch req := string(buf[:n]); req {
			case Show + "\n", Restore + "\n":
				handle(req[:len(req)-1])
			}
		}
	}()
	return &Lock{ln: ln}, nil
}

// Release lets a later launch become the running instance.
func (l *Lock) Release() {
	if l != nil {
		l.ln.Close()
	}
}
