package testenv

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

// processAlive: on Windows, a process that can be opened is there.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

func killProcess(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// asNobody is never needed on Windows: tests there do not run as root.
func asNobody() *syscall.SysProcAttr { return nil }

// MakeFIFO: Windows has no named pipes in the file system, so the test
// that needs one does not apply there.
func MakeFIFO(t testing.TB, path string) {
	t.Helper()
	t.Skip("Windows has no named pipes in the file system")
}

// FreeBytes is the space left for this user on path's volume.
func FreeBytes(path string) (int64, bool) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, false
	}
	var free uint64
	if windows.GetDiskFreeSpaceEx(p, &free, nil, nil) != nil {
		return 0, false
	}
	return int64(free), true
}
