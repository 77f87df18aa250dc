//go:build unix

package backup

import (
	"io/fs"
	"syscall"
)

// inode identifies a file across renames, to spot moves without reading.
func inode(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// device identifies the filesystem a folder is on, to tell an unmounted
// drive's empty mount point from a folder whose files were deleted.
func device(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev) //nolint:unconvert // int32 on some systems
	}
	return 0
}
