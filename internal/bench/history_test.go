//go:build bench

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// metadataPerEdit edits one file of src at a time and backs up, edits
// times, with the index in cache: it returns the metadata bytes uploaded
// (request bytes of PUTs under .kumo/catalogs/, headers included) and
// added to the server's storage, per edit, and the moments written.
func (b *bench) metadataPerEdit(src, cache, device string, edits int) (uploaded, stored float64, moments []string) {
	folder := filepath.Base(src)
	meta := filepath.Join(b.srv.DataDir, device, ".kumo", "catalogs", folder)
	before := dirSize(meta)
	var files []string
	filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && len(files) < edits {
			files = append(files, p)
		}
		return nil
	})
	var sent int64
	for i := 0; i < edits; i++ {
		os.WriteFile(files[i], []byte(fmt.Sprintf("edit %d", i)), 0o644)
		n := b.logCount()
		b.kumoBackup(b.srv.URL, cache, device, src)
		for _, l := range b.srv.AccessLog(b.t)[n:] {
			if l.Method == "PUT" && strings.Contains(l.Path, "/.kumo/catalogs/") {
				sent += l.Bytes
			}
		}
	}
	out := b.exec([]string{"KUMO_PASSWORD=" + b.srv.Password, "XDG_CACHE_HOME=" + cache, "XDG_CONFIG_HOME=" + filepath.Join(b.work, "cfg")},
		b.kumo, "restore", "--snapshots", "--url", b.srv.URL, "--user", b.srv.User, "--ca-file", b.srv.Certs.CAFile, "--device", device, folder).out
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 {
			moments = append(moments, f[3])
		}
	}
	return float64(sent) / float64(edits), float64(dirSize(meta)-before) / float64(edits), moments
}

// restoreAt times restoring paths (all when none) of device's folder as of
// moment into a fresh folder.
func (b *bench) restoreAt(device, folder, moment string, paths ...string) time.Duration {
	to := filepath.Join(b.work, fmt.Sprintf("restored-%d", time.Now().UnixNano()))
	args := append([]string{"restore", "--url", b.srv.URL, "--user", b.srv.User, "--ca-file", b.srv.Certs.CAFile,
		"--device", device, "--at", moment, "--to", to, folder}, paths...)
	r := b.exec([]string{"KUMO_PASSWORD=" + b.srv.Password, "XDG_CACHE_HOME=" + filepath.Join(b.work, "c-restore"),
		"XDG_CONFIG_HOME=" + filepath.Join(b.work, "cfg")}, b.kumo, args...)
	os.RemoveAll(to)
	return r.took
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
