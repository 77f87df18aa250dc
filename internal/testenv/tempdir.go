package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// TempDir is t.TempDir, except on Windows, where the folder is removed
// file by file: under Wine 8, which make test-windows runs the tests in,
// os.RemoveAll fails ("unlinkat: Invalid function") and so would every
// test's t.TempDir cleanup, while os.Remove works.
func TempDir(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "kumo-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := RemoveTree(dir); err != nil {
			t.Errorf("removing the test's folder: %v", err)
		}
	})
	return dir
}

// RemoveTree removes dir and everything in it, deepest first, one
// os.Remove at a time (read-only files made writable first).
func RemoveTree(dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil && p == dir {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	slices.Reverse(paths) // a folder's contents come after it in a walk
	var first error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			os.Chmod(p, 0o700)
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) && first == nil {
				first = err
			}
		}
	}
	return first
}
