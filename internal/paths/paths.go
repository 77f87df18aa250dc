// Package paths says where Kumo keeps its local state, so the command line
// and the desktop app share the same index, logs and demo server.
package paths

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
)

// Cache is where Kumo keeps local state of the given kind ("index", "logs", "demo").
func Cache(kind string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "kumo", kind)
}

// Index is the local index of one account's area: a cache of what the
// server holds, so it lives in the cache folder.
func Index(serverURL, user string) string {
	sum := sha256.Sum256([]byte(user + "\x00" + serverURL))
	return filepath.Join(Cache("index"), hex.EncodeToString(sum[:8])+".db")
}

// Log is Kumo's log file, the one to attach to a bug report.
func Log() string { return filepath.Join(Cache("logs"), "kumo.log") }

// OpenLog appends to the log file, starting afresh past 10 MB.
func OpenLog() (*os.File, error) {
	p := Log()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	if st, err := os.Stat(p); err == nil && st.Size() > 10<<20 {
		_ = os.Rename(p, p+".1")
	}
	return os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
}
