package portal

import (
	"context"
	"errors"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	shell32           = windows.NewLazySystemDLL("shell32.dll")
	ole32             = windows.NewLazySystemDLL("ole32.dll")
	browseForFolder   = shell32.NewProc("SHBrowseForFolderW")
	pathFromIDList    = shell32.NewProc("SHGetPathFromIDListW")
	coInitializeEx    = ole32.NewProc("CoInitializeEx")
	coUninitialize    = ole32.NewProc("CoUninitialize")
	coTaskMemFreeProc = ole32.NewProc("CoTaskMemFree")
)

// browseInfo is the shell's BROWSEINFOW.
type browseInfo struct {
	owner       uintptr
	root        uintptr
	displayName *uint16
	title       *uint16
	flags       uint32
	callback    uintptr
	lParam      uintptr
	image       int32
}

const (
	bifReturnOnlyFSDirs = 0x0001
	bifEditBox          = 0x0010 // a box to type or paste a path into
	bifNewDialogStyle   = 0x0040
	coinitApartment     = 0x2
)

// ChooseFolder opens the shell's folder dialog (SHBrowseForFolderW, through
// syscalls: no cgo), the system's own chooser with its input method.
func ChooseFolder(ctx context.Context, title string) (string, error) {
	if err := browseForFolder.Find(); err != nil {
		return "", errors.Join(ErrUnavailable, err)
	}
	runtime.LockOSThread() // the dialog needs a COM apartment on this thread
	defer runtime.UnlockOSThread()
	coInitializeEx.Call(0, coinitApartment)
	defer coUninitialize.Call()
	t, err := windows.UTF16PtrFromString(title)
	if err != nil {
		return "", err
	}
	name := make([]uint16, windows.MAX_PATH)
	bi := browseInfo{displayName: &name[0], title: t, flags: bifReturnOnlyFSDirs | bifEditBox | bifNewDialogStyle}
	pidl, _, _ := browseForFolder.Call(uintptr(unsafe.Pointer(&bi)))
	if pidl == 0 {
		return "", ErrCancelled
	}
	defer coTaskMemFreeProc.Call(pidl)
	path := make([]uint16, 32768)
	if ok, _, _ := pathFromIDList.Call(pidl, uintptr(unsafe.Pointer(&path[0]))); ok == 0 {
		return "", errors.New("the chosen item is not a folder on a disk")
	}
	return windows.UTF16ToString(path), ctx.Err()
}
