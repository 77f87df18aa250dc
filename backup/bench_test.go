package backup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// BenchmarkFirstBackupSmallFiles backs up 1,000 files of 4 KiB to Apache,
// each iteration into a fresh device folder so every file is uploaded.
// The rclone comparison is the benchmark issue's; this is the engine alone.
func BenchmarkFirstBackupSmallFiles(b *testing.B) {
	srv := testenv.StartApache(b)
	src := testenv.TempDir(b)
	files := testenv.WriteTree(b, src, testenv.TreeSpec{Files: 1000, MaxSize: 4 << 10, Seed: 9, MaxDepth: 3})
	client, err := newClient(srv, srv.Password)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sum, err := backup.RunOnce(context.Background(), client, backup.Options{Root: src, Device: fmt.Sprintf("bench-%d", i)})
		if err != nil || len(sum.Failed) > 0 {
			b.Fatalf("%v %v", err, sum.Failed)
		}
	}
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkChangeLatency measures, with the default quiet delay, the time
// from a file's close to its bytes being stored on the server, over 200
// edits made one every 50ms.
func BenchmarkChangeLatency(b *testing.B) {
	for range b.N {
		w := watch(b, nil, backup.WatchOptions{})
		const edits = 200
		closed := make(map[string]time.Time, edits)
		for i := range edits {
			rel := fmt.Sprintf("edit-%03d.txt", i)
			if err := os.WriteFile(filepath.Join(w.src, rel), []byte(strings.Repeat("x", 100+i)), 0o644); err != nil {
				b.Fatal(err)
			}
			closed[rel] = time.Now()
			time.Sleep(50 * time.Millisecond)
		}
		var lat []time.Duration
		deadline := time.Now().Add(30 * time.Second)
		for len(lat) < edits && time.Now().Before(deadline) {
			lat = lat[:0]
			w.up.mu.Lock()
			for rel, t0 := range closed {
				if at, ok := w.up.at[rel]; ok {
					lat = append(lat, at.Sub(t0))
				}
			}
			w.up.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
		if len(lat) < edits {
			b.Fatalf("only %d of %d edits reached the server", len(lat), edits)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	}
}

// BenchmarkFirstBackupLargeFile backs up one 512 MiB file to Apache: the
// throughput is TLS, hashing and the server's disk, with nothing per file.
func BenchmarkFirstBackupLargeFile(b *testing.B) {
	srv := testenv.StartApache(b)
	src := testenv.TempDir(b)
	const size = 512 << 20
	f, err := os.Create(filepath.Join(src, "big.bin"))
	if err != nil {
		b.Fatal(err)
	}
	chunk := []byte(strings.Repeat("0123456789abcdef", 1<<16))
	for written := 0; written < size; written += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	client, err := newClient(srv, srv.Password)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := backup.RunOnce(context.Background(), client, backup.Options{Root: src, Device: fmt.Sprintf("big-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
}
