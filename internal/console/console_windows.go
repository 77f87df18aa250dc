// Package console gives a windowed Windows program the console it was
// started from; elsewhere a program always has its terminal.
package console

import (
	"os"
	"syscall"
)

var attachConsole = syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")

// attachParent is ATTACH_PARENT_PROCESS: the console of the program that started this one.
const attachParent = ^uintptr(0)

// Attach gives kumo.exe, a windowed program with no console of its own,
// the console it was started from (cmd, PowerShell, Windows Terminal), so
// that kumo.exe --help and every command print there and prompts read
// from it. Streams redirected to a file or a pipe are kept as they are;
// started from Explorer there is no console to attach, and nothing changes.
func Attach() {
	out, errOut, in := valid(syscall.STD_OUTPUT_HANDLE), valid(syscall.STD_ERROR_HANDLE), valid(syscall.STD_INPUT_HANDLE)
	if out && errOut && in {
		return
	}
	if r, _, _ := attachConsole.Call(attachParent); r == 0 {
		return
	}
	if !out {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stdout = f
		}
	}
	if !errOut {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stderr = f
		}
	}
	if !in {
		if f, err := os.OpenFile("CONIN$", os.O_RDWR, 0); err == nil {
			os.Stdin = f
		}
	}
}

// valid reports whether a standard stream is there (a console, a file or a pipe).
func valid(std int) bool {
	h, err := syscall.GetStdHandle(std)
	return err == nil && h != 0 && h != syscall.InvalidHandle
}
