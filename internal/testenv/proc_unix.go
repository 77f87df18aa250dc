//go:build !windows

package testenv

import (
	"syscall"
	"testing"
)

func processAlive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func killProcess(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }

// asNobody runs a child as the user "nobody".
func asNobody() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

// MakeFIFO makes a named pipe at path: a special file a backup must skip.
func MakeFIFO(t testing.TB, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

// FreeBytes is the space left for an ordinary user on path's file system.
func FreeBytes(path string) (int64, bool) {
	var st syscall.Statfs_t
	if syscall.Statfs(path, &st) != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
