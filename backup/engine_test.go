package backup_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/testenv"
	"github.com/kumo-backup/kumo/transport"
)

// Paused, the engine uploads nothing; a file deleted meanwhile is reported
// as vanished, and a file changed meanwhile goes up with its latest content.
func TestPauseResumeTakesLatestContent(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Desk")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 20, MaxSize: 1 << 10, Seed: 12, MaxDepth: 1})
	writeFile(t, src, "latest.txt", "first")
	writeFile(t, src, "gone.txt", "soon deleted")
	progress := make(chan backup.Progress, 100)
	e, err := backup.New(srv.client(t, srv.pass), backup.Options{Root: src, Device: "pc",
		OnProgress: func(p backup.Progress) {
			select {
			case progress <- p:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Pause()
	type result struct {
		sum *backup.Summary
		err error
	}
	done := make(chan result, 1)
	go func() { s, err := e.Pass(context.Background()); done <- result{s, err} }()

	p := <-progress // the scan is over: totals are known, nothing moved
	if !p.Paused || p.FilesDone != 0 || p.FilesTotal != 22 {
		t.Fatalf("while paused: %+v", p)
	}
	time.Sleep(200 * time.Millisecond)
	if n := srv.count("PUT") + srv.count("MKCOL"); n != 0 {
		t.Fatalf("%d requests while paused", n)
	}
	os.Remove(filepath.Join(src, "gone.txt"))
	writeFile(t, src, "latest.txt", "second, the latest")
	e.Resume()
	res := <-done
	if res.err != nil || len(res.sum.Failed) != 0 {
		t.Fatal(res.err, res.sum.Failed)
	}
	if len(res.sum.Skipped) != 1 || res.sum.Skipped[0].Path != "gone.txt" || !strings.Contains(res.sum.Skipped[0].Err.Error(), "vanished") {
		t.Errorf("the deleted file should be reported as vanished: %v", res.sum.Skipped)
	}
	testenv.AssertSameTree(t, src, filepath.Join(srv.dataDir, "pc", "Desk"))
	var last backup.Progress
	for len(progress) > 0 {
		last = <-progress
	}
	if !last.Done || last.FilesDone != 21 || last.BytesDone == 0 {
		t.Errorf("last progress: %+v", last)
	}
}

// changingRemote appends to a local file while its first upload is on the
// wire, as a program writing it would.
type changingRemote struct {
	backup.Remote
	target, local string
	change        func(path string)
	once          sync.Once
}

func (c *changingRemote) PutNew(ctx context.Context, p string, open transport.Body, size int64) error {
	if strings.HasSuffix(p, c.target) {
		c.once.Do(func() { c.change(c.local) })
	}
	return c.Remote.PutNew(ctx, p, open, size)
}

func TestFileChangingDuringUploadIsRetried(t *testing.T) {
	for name, change := range map[string]func(string){
		"grows": func(p string) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(" and more")
			f.Close()
		},
		"shrinks": func(p string) { os.Truncate(p, 100) },
	} {
		t.Run(name, func(t *testing.T) { testChangingDuringUpload(t, change) })
	}
}

func testChangingDuringUpload(t *testing.T, change func(string)) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Logs")
	writeFile(t, src, "app.log", strings.Repeat("line\n", 1000))
	remote := &changingRemote{Remote: srv.client(t, srv.pass), target: "app.log", local: filepath.Join(src, "app.log"), change: change}
	index := filepath.Join(testenv.TempDir(t), "index.db")
	sum, err := backup.RunOnce(context.Background(), remote, backup.Options{Root: src, Device: "pc", IndexPath: index})
	if err != nil || len(sum.Failed) != 0 {
		t.Fatal(err, sum.Failed)
	}
	testenv.AssertSameTree(t, src, filepath.Join(srv.dataDir, "pc", "Logs"))
	if sum.Files != 1 || sum.Versioned != 0 {
		t.Errorf("the torn copy must be replaced, not recorded or kept as a version: %+v", sum)
	}
	ix, err := backup.OpenIndex(index)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	en, _ := ix.Get("pc/Logs", "app.log")
	local, _ := os.ReadFile(filepath.Join(src, "app.log"))
	if en.Size != int64(len(local)) || en.SHA256 != sha256Hex(local) {
		t.Errorf("the index records %d bytes %s; the file has %d bytes", en.Size, en.SHA256, len(local))
	}
}

// Special files are skipped with a reason; broken and looping symbolic
// links are recorded, never followed, and cannot hang the scan.
func TestSpecialFilesAndLinks(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Odd")
	writeFile(t, src, "plain.txt", "ok")
	os.Symlink("does-not-exist", filepath.Join(src, "broken"))
	os.Symlink(".", filepath.Join(src, "loop"))
	os.Symlink("..", filepath.Join(src, "up"))
	testenv.MakeFIFO(t, filepath.Join(src, "pipe"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sum, err := backup.RunOnce(ctx, srv.client(t, srv.pass), backup.Options{Root: src, Device: "pc"})
	if err != nil || len(sum.Failed) != 0 {
		t.Fatal(err, sum.Failed)
	}
	if len(sum.Skipped) != 1 || sum.Skipped[0].Path != "pipe" {
		t.Errorf("skipped: %v", sum.Skipped)
	}
	cat := readCatalog(t, filepath.Join(srv.dataDir, sum.Record))
	for link, target := range map[string]string{"broken": "does-not-exist", "loop": ".", "up": ".."} {
		if cat[link].Link != target {
			t.Errorf("%s: catalog has %+v, want the link to %s", link, cat[link], target)
		}
	}
	if n := srv.count("PUT"); n != 2 { // plain.txt and the catalog
		t.Errorf("%d uploads: links must not be followed or uploaded", n)
	}
}

func sha256Hex(b []byte) string {
	f, _ := os.CreateTemp("", "h")
	defer os.Remove(f.Name())
	f.Write(b)
	f.Close()
	h, _ := backup.HashFile(f.Name())
	return h
}

var _ = io.EOF

// A crash after the version MOVE but before the index noted it: the next
// pass puts the current copy back even though the local file is unchanged.
func TestUnfinishedVersionMoveIsSettled(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Docs")
	writeFile(t, src, "note.txt", "v1")
	index := filepath.Join(testenv.TempDir(t), "index.db")
	client := srv.client(t, srv.pass)
	opts := backup.Options{Root: src, Device: "pc", IndexPath: index}
	if _, err := backup.RunOnce(context.Background(), client, opts); err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: the intent recorded, the MOVE done, nothing after.
	ix, _ := backup.OpenIndex(index)
	en, _ := ix.Get("pc/Docs", "note.txt")
	en.Pending = "pc/.kumo/versions/Docs/note.txt/" + en.Since + "~20260101T000000.000Z.txt"
	ix.Put("pc/Docs", "note.txt", en)
	ix.Close()
	for _, d := range []string{"pc/.kumo/versions", "pc/.kumo/versions/Docs", "pc/.kumo/versions/Docs/note.txt"} {
		client.Mkdir(context.Background(), d)
	}
	if err := client.Move(context.Background(), "pc/Docs/note.txt", en.Pending, false); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.RunOnce(context.Background(), client, opts); err != nil {
		t.Fatal(err)
	}
	testenv.AssertSameTree(t, src, filepath.Join(srv.dataDir, "pc", "Docs"))
	if got := versionsOf(t, filepath.Join(srv.dataDir, "pc", ".kumo", "versions", "Docs"), "note.txt"); len(got) != 1 {
		t.Errorf("versions after settling: %q, want exactly the one the crash made", got)
	}
}

// A file that grows past a metered connection's allowance while it uploads
// is left for later, as if it had been that large when the pass began; it
// does not hold the pass (and every file behind it) until the hold ends.
// Once the hold ends it is sent whole.
func TestFileGrowingPastTheAllowanceIsHeld(t *testing.T) {
	srv := servers()["emulator"](t)
	src := filepath.Join(testenv.TempDir(t), "Videos")
	writeFile(t, src, "clip.mov", strings.Repeat("v", 5000))
	writeFile(t, src, "note.txt", "small")
	grow := func(p string) { os.WriteFile(p, make([]byte, 3<<20), 0o644) }
	remote := &changingRemote{Remote: srv.client(t, srv.pass), target: "clip.mov", local: filepath.Join(src, "clip.mov"), change: grow}
	e, err := backup.New(remote, backup.Options{Root: src, Device: "pc", IndexPath: filepath.Join(testenv.TempDir(t), "index.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.SetHold(backup.Hold{Above: 1 << 20})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sum, err := e.Pass(ctx)
	if err != nil || sum.Held != 1 || sum.Files != 1 {
		t.Fatalf("the pass with a file grown past the allowance: %v, %+v", err, sum)
	}
	e.SetHold(backup.NoHold)
	if sum, err = e.Pass(ctx); err != nil || sum.Files != 1 {
		t.Fatalf("once the hold ended: %v, %+v", err, sum)
	}
	testenv.AssertSameTree(t, src, filepath.Join(srv.dataDir, "pc", "Videos"))
}
