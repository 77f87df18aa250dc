package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
	"github.com/kumo-backup/kumo/watcher"
)

// metaRig is an emulator that counts the bytes Kumo's own metadata costs.
type metaRig struct {
	e         *testenv.Emulated
	client    *transport.Client
	metaBytes atomic.Int64 // checkpoints, journal records, segments sent
	server    string       // the device's folder on the server's disk
}

func newMetaRig(t *testing.T) *metaRig {
	r := &metaRig{}
	r.e = testenv.StartEmulator(t, func(c *emulator.Config) {
		c.OnPut = func(_, _, p string, size int64) {
			if strings.Contains(p, "/.kumo/catalogs/") {
				r.metaBytes.Add(size)
			}
		}
	})
	c, err := transport.New(transport.Config{URL: r.e.DAVURL("backup"), User: r.e.User, Password: r.e.AppsPassword, RootCAs: r.e.Pool(), Connections: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	r.client, r.server = c, filepath.Join(r.e.AreaDir(r.e.User, "backup"), "pc")
	return r
}

// stored is the bytes of metadata the server holds for folder.
func (r *metaRig) stored(folder string) (total, checkpoint int64) {
	entries, _ := os.ReadDir(filepath.Join(r.server, ".kumo", "catalogs", folder))
	for _, e := range entries {
		info, _ := e.Info()
		total += info.Size()
		if strings.HasSuffix(e.Name(), ".jsonl.gz") {
			checkpoint = max(checkpoint, info.Size())
		}
	}
	return total, checkpoint
}

// restoreFile brings rel back as of moment and returns its bytes.
func (r *metaRig) restoreFile(t *testing.T, folder, rel, moment string) []byte {
	t.Helper()
	at, _ := format.ParseStamp(moment)
	v, err := restore.Open(context.Background(), r.client, "pc", folder, at)
	if err != nil {
		t.Fatalf("as of %s: %v", moment, err)
	}
	to := testenv.TempDir(t)
	if _, err := v.Restore(context.Background(), restore.Options{To: to, Paths: []string{rel}}); err != nil {
		t.Fatalf("restoring %s as of %s: %v", rel, moment, err)
	}
	b, err := os.ReadFile(filepath.Join(to, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("%s as of %s was not restored: %v", rel, moment, err)
	}
	return b
}

// A watched folder of 20,000 files and 50 one-file edits: what reaches the
// server for them as metadata is under 5% of one full catalog of the
// folder, and the moments right after the 1st, 25th and 50th edit restore
// with that edit's content, byte for byte.
func TestMetadataCostGrowsWithTheChange(t *testing.T) {
	r := newMetaRig(t)
	src := filepath.Join(testenv.TempDir(t), "Work")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 20000, MaxSize: 512, Seed: 18, MaxDepth: 3})
	clock := testenv.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	eng, err := backup.New(r.client, backup.Options{Root: src, Device: "pc", IndexPath: filepath.Join(testenv.TempDir(t), "index.db"), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var mu sync.Mutex
	var moments []string
	passes := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		eng.Watch(ctx, backup.WatchOptions{Quiet: 50 * time.Millisecond, OnPass: func(s *backup.Summary, err error) {
			if err != nil {
				t.Errorf("a pass failed: %v", err)
			}
			if s != nil && s.Moment != "" {
				mu.Lock()
				moments = append(moments, s.Moment)
				mu.Unlock()
			}
			passes <- struct{}{}
		}})
	}()
	defer func() { cancel(); <-done }()
	<-passes // the first backup
	_, catalog := r.stored("Work")
	before := r.metaBytes.Load()

	edited := map[int]string{} // edit number -> the moment after it
	for i := 1; i <= 50; i++ {
		clock.Set(clock.Now().Add(time.Minute))
		rel := fmt.Sprintf("edit-%02d.txt", i%7) // a few files, each edited again and again
		content := fmt.Sprintf("edit %d of %s", i, rel)
		os.WriteFile(filepath.Join(src, rel), []byte(content), 0o644)
		testenv.Eventually(t, "edit "+fmt.Sprint(i)+" on the server", 20*time.Second, func() bool {
			b, _ := os.ReadFile(filepath.Join(r.server, "Work", rel))
			return bytes.Equal(b, []byte(content))
		})
		testenv.Eventually(t, "its moment", 10*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(moments) >= i+1
		})
		mu.Lock()
		edited[i] = moments[len(moments)-1]
		mu.Unlock()
	}
	sent := r.metaBytes.Load() - before
	t.Logf("50 one-file edits of a 20,000-file folder: %d bytes of metadata sent (%.0f per edit); one full catalog is %d bytes (%.2f%%)",
		sent, float64(sent)/50, catalog, 100*float64(sent)/float64(catalog))
	if float64(sent) >= 0.05*float64(catalog) {
		t.Errorf("the 50 edits cost %d bytes of metadata, not under 5%% of one catalog (%d bytes)", sent, catalog)
	}
	for _, i := range []int{1, 25, 50} {
		rel := fmt.Sprintf("edit-%02d.txt", i%7)
		if got, want := r.restoreFile(t, "Work", rel, edited[i]), fmt.Sprintf("edit %d of %s", i, rel); string(got) != want {
			t.Errorf("as of the moment after edit %d, %s is %q, want %q", i, rel, got, want)
		}
	}
}

// A month of a person's work: 200 one-file edits a day on a 10,000-file
// folder for 30 days, retention running every day. The metadata stored at
// the end is under 3 full catalogs' worth; the moments kept are the ones
// retention's rule keeps (every one of the last 14 days, one a day
// before); and each restores the folder as it was.
func TestAMonthOfEditsKeepsMetadataSmall(t *testing.T) {
	days, perDay := 30, 200
	if testing.Short() {
		days = 16
	}
	r := newMetaRig(t)
	src := filepath.Join(testenv.TempDir(t), "Work")
	files := testenv.WriteTree(t, src, testenv.TreeSpec{Files: 10000, MaxSize: 256, Seed: 30, MaxDepth: 3})
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clock := testenv.NewClock(start)
	eng, err := backup.New(r.client, backup.Options{Root: src, Device: "pc", IndexPath: filepath.Join(memDir(t), "index.db"), Now: clock.Now,
		Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	if _, err := eng.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	type edit struct{ moment, rel, content string }
	var edits []edit
	for d := 0; d < days; d++ {
		for j := 0; j < perDay; j++ {
			clock.Set(start.Add(time.Duration(d)*24*time.Hour + time.Hour + time.Duration(j)*3*time.Minute))
			rel := files[(d*perDay+j)*7919%len(files)]
			content := fmt.Sprintf("day %d, edit %d", d, j)
			os.WriteFile(filepath.Join(src, filepath.FromSlash(rel)), []byte(content), 0o644)
			s, err := eng.Sync(ctx, watcherBatch(rel))
			if err != nil || s.Moment == "" {
				t.Fatalf("day %d edit %d: %v %+v", d, j, err, s)
			}
			edits = append(edits, edit{s.Moment, rel, content})
		}
	}
	now := start.Add(time.Duration(days)*24*time.Hour + time.Hour)
	clock.Set(now)
	if _, err := eng.Pass(ctx); err != nil { // the day's retention
		t.Fatal(err)
	}
	total, catalog := r.stored("Work")
	t.Logf("%d days of %d edits on 10,000 files: %d bytes of metadata stored, one full catalog %d bytes (%.2f catalogs); %d bytes sent in all",
		days, perDay, total, catalog, float64(total)/float64(catalog), r.metaBytes.Load())
	if total >= 3*catalog {
		t.Errorf("%d bytes of metadata stored, not under 3 catalogs (%d bytes)", total, 3*catalog)
	}

	snaps, err := restore.Snapshots(ctx, r.client, "pc", "Work")
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, s := range snaps {
		kept[s.Stamp] = true
	}
	perKeptDay := map[string]int{}
	for _, e := range edits {
		at, _ := format.ParseStamp(e.moment)
		switch age := now.Sub(at); {
		case age <= 14*24*time.Hour && !kept[e.moment]:
			t.Errorf("the moment %s (%s old) was dropped: every moment of the last 14 days is kept", e.moment, age)
		case age > 14*24*time.Hour && kept[e.moment]:
			perKeptDay[e.moment[:8]]++
		}
	}
	for d, n := range perKeptDay {
		if n != 1 {
			t.Errorf("%s: %d moments kept, want the day's last", d, n)
		}
	}

	// Every kept moment restores: its chain reaches a checkpoint, and along
	// the history each edited file is, at each moment, its last edit before it.
	h, err := format.OpenHistory(ctx, r.client, format.Folder{Device: "pc", Name: "Work"})
	if err != nil {
		t.Fatal(err)
	}
	base, recs, err := h.Root(ctx, h.Newest())
	if err != nil {
		t.Fatal(err)
	}
	onChain := map[string]bool{base: true}
	for _, rec := range recs {
		onChain[rec.Time] = true
	}
	for _, s := range snaps {
		if !onChain[s.Stamp] {
			t.Errorf("the kept moment %s is not on the history's chain", s.Stamp)
		}
		if _, _, err := h.Chain(ctx, s.Stamp); err != nil {
			t.Errorf("the kept moment %s: %v", s.Stamp, err)
		}
	}
	state, want := map[string]string{}, map[string]string{} // rel -> SHA-256, recorded and expected
	next := 0
	for _, rec := range recs {
		check := map[string]bool{}
		for _, c := range rec.Changes {
			state[c.Path], check[c.Path] = c.SHA256, true
		}
		for ; next < len(edits) && edits[next].moment <= rec.Time; next++ {
			want[edits[next].rel], check[edits[next].rel] = sha(edits[next].content), true
		}
		for rel := range check {
			if state[rel] != want[rel] {
				t.Fatalf("as of %s, %s is not its last edit before that moment", rec.Time, rel)
			}
		}
	}
	if next != len(edits) {
		t.Errorf("the history ends before the last %d edits", len(edits)-next)
	}

	// Each kept moment is the folder as it was: open a spread of them whole.
	last := map[string]string{} // rel -> content, as the edits go
	checked := 0
	for i, e := range edits {
		last[e.rel] = e.content
		if !kept[e.moment] || (i%97 != 0 && i != len(edits)-1) {
			continue
		}
		at, _ := format.ParseStamp(e.moment)
		v, err := restore.Open(ctx, r.client, "pc", "Work", at)
		if err != nil {
			t.Fatalf("the kept moment %s: %v", e.moment, err)
		}
		if len(v.Files) != len(files) {
			t.Errorf("as of %s: %d files, want %d", e.moment, len(v.Files), len(files))
		}
		for _, f := range v.Files {
			if want, ok := last[f.Path]; ok && f.SHA256 != sha(want) {
				t.Fatalf("as of %s, %s is not its last edit before that moment", e.moment, f.Path)
			}
		}
		checked++
	}
	if b := r.restoreFile(t, "Work", edits[len(edits)-1].rel, edits[len(edits)-1].moment); string(b) != edits[len(edits)-1].content {
		t.Errorf("the newest edit restored as %q", b)
	}
	t.Logf("%d moments kept; %d of them opened and compared whole", len(snaps), checked)
}

func watcherBatch(rel string) watcher.Batch { return watcher.Batch{Paths: []string{rel}} }

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// memDir is a folder in memory when the system has one (/dev/shm): an
// index there skips the disk syncs of thousands of passes.
func memDir(t *testing.T) string {
	dir, err := os.MkdirTemp("/dev/shm", "kumo-test-")
	if err != nil {
		return testenv.TempDir(t)
	}
	t.Cleanup(func() { testenv.RemoveTree(dir) })
	return dir
}

// loseJournalAnswer sends the first journal record whole, then reports the
// answer lost: what a crash right after the upload leaves behind (the
// record on the server, the index not knowing it).
type loseJournalAnswer struct {
	*transport.Client
	lost atomic.Bool
}

func (l *loseJournalAnswer) Put(ctx context.Context, p string, open transport.Body, size int64) error {
	err := l.Client.Put(ctx, p, open, size)
	if err == nil && strings.HasSuffix(p, ".journal.gz") && !l.lost.Swap(true) {
		return &transport.NetError{Op: "PUT", Path: p, Err: errors.New("connection reset by peer")}
	}
	return err
}

// Between sending a journal record and noting it locally, Kumo dies: the
// next run sends the same moment again (the same name, the same changes),
// so the history has no gap and no duplicate, and the moment restores.
func TestCrashBetweenJournalAndIndexLeavesNoGap(t *testing.T) {
	r := newMetaRig(t)
	src := filepath.Join(testenv.TempDir(t), "Work")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 50, MaxSize: 512, Seed: 3, MaxDepth: 2})
	clock := testenv.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	index := filepath.Join(testenv.TempDir(t), "index.db")
	opts := backup.Options{Root: src, Device: "pc", IndexPath: index, Now: clock.Now}
	if _, err := backup.RunOnce(context.Background(), r.client, opts); err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().Add(time.Minute))
	os.WriteFile(filepath.Join(src, "first.txt"), []byte("written before the crash"), 0o644)
	lossy := &loseJournalAnswer{Client: r.client}
	if _, err := backup.RunOnce(context.Background(), lossy, opts); err == nil || !lossy.lost.Load() {
		t.Fatalf("the pass whose answer was lost: %v", err)
	}
	clock.Set(clock.Now().Add(time.Minute))
	os.WriteFile(filepath.Join(src, "second.txt"), []byte("written after the restart"), 0o644)
	sum, err := backup.RunOnce(context.Background(), r.client, opts)
	if err != nil {
		t.Fatal(err)
	}
	journals := testenv.Files(filepath.Join(r.server, ".kumo", "catalogs", "Work"), func(n string) bool { return strings.HasSuffix(n, ".journal.gz") })
	if len(journals) != 2 {
		t.Errorf("%d journal records for two changing passes: %v", len(journals), journals)
	}
	snaps, err := restore.Snapshots(context.Background(), r.client, "pc", "Work")
	if err != nil || len(snaps) != 3 {
		t.Fatalf("moments: %v %v; want the first backup and two more", snaps, err)
	}
	if b := r.restoreFile(t, "Work", "first.txt", snaps[1].Stamp); string(b) != "written before the crash" {
		t.Errorf("the moment of the crash restores first.txt as %q", b)
	}
	at, _ := format.ParseStamp(snaps[1].Stamp)
	if v, err := restore.Open(context.Background(), r.client, "pc", "Work", at); err != nil || hasFile(v, "second.txt") {
		t.Errorf("the moment of the crash: %v (second.txt must not be in it)", err)
	}
	if b := r.restoreFile(t, "Work", "second.txt", sum.Moment); string(b) != "written after the restart" {
		t.Errorf("the moment after the restart restores second.txt as %q", b)
	}
}

func hasFile(v *restore.View, rel string) bool {
	for _, f := range v.Files {
		if f.Path == rel {
			return true
		}
	}
	return false
}

// A fresh machine rebuilds its index from the server's history (a
// checkpoint and the journal records since) and uploads nothing that is
// there; a record missing on the server is a gap a restore names, with the
// moments it affects, while the moments before it still restore.
func TestIndexRebuildAndGapsFromTheHistory(t *testing.T) {
	r := newMetaRig(t)
	src := filepath.Join(testenv.TempDir(t), "Work")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 100, MaxSize: 512, Seed: 4, MaxDepth: 2})
	clock := testenv.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	opts := backup.Options{Root: src, Device: "pc", IndexPath: filepath.Join(testenv.TempDir(t), "index.db"), Now: clock.Now}
	var moments []string
	for i := range 5 {
		clock.Set(clock.Now().Add(time.Minute))
		os.WriteFile(filepath.Join(src, fmt.Sprintf("note-%d.txt", i)), []byte(fmt.Sprint("note ", i)), 0o644)
		sum, err := backup.RunOnce(context.Background(), r.client, opts)
		if err != nil {
			t.Fatal(err)
		}
		moments = append(moments, sum.Moment)
	}
	puts := r.e.Requests("PUT")
	opts.IndexPath = filepath.Join(testenv.TempDir(t), "fresh.db")
	sum, err := backup.RunOnce(context.Background(), r.client, opts)
	if err != nil || sum.Files != 0 || r.e.Requests("PUT") != puts {
		t.Fatalf("a fresh index: %v, %d files uploaded, %d PUT requests; want nothing sent", err, sum.Files, r.e.Requests("PUT")-puts)
	}

	os.Remove(filepath.Join(r.server, ".kumo", "catalogs", "Work", moments[2]+".journal.gz"))
	at := func(m string) time.Time { t, _ := format.ParseStamp(m); return t }
	if _, err := restore.Open(context.Background(), r.client, "pc", "Work", at(moments[1])); err != nil {
		t.Errorf("a moment before the gap: %v", err)
	}
	_, err = restore.Open(context.Background(), r.client, "pc", "Work", at(moments[4]))
	var gap *format.GapError
	if !errors.As(err, &gap) || gap.Missing != moments[2] || len(gap.Affected) != 2 || gap.Affected[0] != moments[3] || gap.Affected[1] != moments[4] {
		t.Fatalf("a moment after the gap: %v (%+v)", err, gap)
	}
}
