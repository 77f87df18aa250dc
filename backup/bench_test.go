package backup_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// BenchmarkFirstBackupSmallFiles backs up 1,000 files of 4 KiB to Apache,
// each iteration into a fresh device folder so every file is uploaded.
// The rclone comparison is the benchmark issue's; this is the engine alone.
func BenchmarkFirstBackupSmallFiles(b *testing.B) {
	srv := testenv.StartApache(b)
	src := b.TempDir()
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
