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
