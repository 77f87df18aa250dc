package backup_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// Verification against Apache and the emulator: a round reads every file
// back once, in steps no larger than asked, spread over half the period; a
// server copy damaged on the server's own disk is found and the next pass
// replaces it with one PUT, no version and no new moment; the next round finds all good.
func TestVerifyRoundFindsADamagedCopy(t *testing.T) {
	for name, start := range servers() {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			src := filepath.Join(testenv.TempDir(t), "Photos")
			files := testenv.WriteTree(t, src, testenv.TreeSpec{Files: 300, MaxSize: 4 << 10, Seed: 31, MaxDepth: 2})
			var mu sync.Mutex
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			e, err := backup.New(srv.client(t, srv.pass), backup.Options{Root: src, Device: "laptop", Workers: 4,
				IndexPath: filepath.Join(testenv.TempDir(t), "index.db"), Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if _, err := e.Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
			remote := filepath.Join(srv.dataDir, "laptop", "Photos")
			damaged := files[123]
			copyPath := filepath.Join(remote, filepath.FromSlash(damaged))
			b, err := os.ReadFile(copyPath)
			if err != nil {
				t.Fatal(err)
			}
			b[0] ^= 0xff
			if err := os.WriteFile(copyPath, b, 0o644); err != nil {
				t.Fatal(err)
			}

			lim := backup.VerifyLimits{Period: 30 * 24 * time.Hour, MaxFiles: 40, Rate: -1}
			gets := srv.count("GET")
			// The round begins: nothing is due yet.
			if rep, err := e.Verify(context.Background(), lim); err != nil || rep.Checked > 1 {
				t.Fatalf("the first step of a round checked %d files (%v)", rep.Checked, err)
			}
			// A day later, a fifteenth of the folder is due, by count and by bytes.
			advance(24 * time.Hour)
			rep, err := e.Verify(context.Background(), lim)
			if err != nil || rep.Checked < 20 || rep.Checked > 40 {
				t.Fatalf("a day into the round %d files were checked (%v), want a fifteenth of 300 (by count or bytes)", rep.Checked, err)
			}
			// Half the period: the rest, in steps of at most 40.
			advance(14 * 24 * time.Hour)
			var found []string
			steps := 0
			for ; steps < 20; steps++ {
				rep, err := e.Verify(context.Background(), lim)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Checked > 40 {
					t.Fatalf("a step checked %d files, more than the 40 allowed", rep.Checked)
				}
				for _, d := range rep.Damaged {
					found = append(found, d.Path)
				}
				if !rep.State.LastEnd.IsZero() {
					if rep.State.LastFiles != int64(len(files)) || rep.State.LastGood != int64(len(files)-1) {
						t.Errorf("the round ended with %d of %d good, want %d of %d", rep.State.LastGood, rep.State.LastFiles, len(files)-1, len(files))
					}
					break
				}
			}
			if len(found) != 1 || found[0] != damaged {
				t.Fatalf("the round found %v damaged, want [%s]", found, damaged)
			}
			if n := srv.count("GET") - gets; n != len(files) {
				t.Errorf("the round read %d files back, want each of the %d once", n, len(files))
			}
			t.Logf("a round of %d files: %d steps after half the period, %d GETs", len(files), steps+1, srv.count("GET")-gets)

			puts := srv.count("PUT")
			if _, err := e.Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(filepath.Join(src, filepath.FromSlash(damaged)))
			if got, err := os.ReadFile(copyPath); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("the damaged copy was not replaced by the next pass (%v)", err)
			}
			if n := srv.count("PUT") - puts; n != 1 { // the history does not change: same content, same since
				t.Errorf("the repair took %d PUTs, want 1 (the file; the history names the same content)", n)
			}
			if _, err := os.Stat(filepath.Join(srv.dataDir, "laptop", ".kumo", "versions", "Photos", filepath.FromSlash(damaged))); err == nil {
				t.Error("the damaged copy was kept as a version")
			}

			advance(16 * 24 * time.Hour)
			for range 20 {
				rep, err := e.Verify(context.Background(), lim)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Damaged) > 0 {
					t.Fatalf("the repaired copy is still found damaged: %v", rep.Damaged)
				}
				if rep.State.LastGood == int64(len(files)) && rep.State.LastFiles == int64(len(files)) {
					return
				}
			}
			t.Errorf("the second round did not end with every file good: %+v", e.VerifyState())
		})
	}
}
