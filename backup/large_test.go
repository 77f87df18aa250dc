package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// A file past 4 GiB streams through with memory that does not grow with it,
// and lands byte for byte.
func TestLargeFileStreamsInConstantMemory(t *testing.T) {
	const size = 4<<30 + 4099
	src := filepath.Join(testenv.TempDir(t), "Video")
	os.MkdirAll(src, 0o755)
	f, err := os.Create(filepath.Join(src, "film.bin"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(size) // sparse: no 4 GiB written to the test's disk
	for _, off := range []int64{0, 1<<32 - 2, size - 4} {
		f.WriteAt([]byte("kumo"), off) // bytes around the 32-bit boundary catch offset bugs
	}
	f.Close()

	srv := servers()["emulator"](t)
	if free, ok := testenv.FreeBytes(srv.dataDir); ok && free < size+1<<30 {
		t.Fatalf("the server's disk has less than 5 GiB free for a 4 GiB upload")
	}

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	start := time.Now()
	sum, err := backup.RunOnce(context.Background(), srv.client(t, srv.pass), backup.Options{Root: src, Device: "pc"})
	close(stop)
	if err != nil || len(sum.Failed) > 0 {
		t.Fatal(err, sum.Failed)
	}
	took := time.Since(start)
	stored := filepath.Join(srv.dataDir, "pc", "Video", "film.bin")
	info, err := os.Stat(stored)
	if err != nil || info.Size() != size {
		t.Fatalf("the server holds %v bytes (%v), want %d", info, err, size)
	}
	want, _ := backup.HashFile(filepath.Join(src, "film.bin"))
	got, _ := backup.HashFile(stored)
	if got != want {
		t.Fatalf("the server's copy differs: %s, want %s", got, want)
	}
	// The emulator runs in this process too; both together stay small.
	if p := peak.Load(); p > 64<<20 {
		t.Errorf("heap in use peaked at %d MiB while uploading 4 GiB", p>>20)
	}
	t.Logf("4 GiB uploaded in %v (%.0f MiB/s), heap in use peaked at %d MiB", took, float64(size)/took.Seconds()/(1<<20), peak.Load()>>20)
	os.Remove(stored) // free the server's disk now, not at cleanup
}
