package watcher

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// collect gathers batches until none has come for idle, or limit passes.
func collect(t *testing.T, w *Watcher, idle, limit time.Duration) (paths, rescans map[string]int, batches int) {
	t.Helper()
	paths, rescans = map[string]int{}, map[string]int{}
	deadline := time.After(limit)
	for {
		select {
		case b := <-w.Batches():
			batches++
			for _, p := range b.Paths {
				paths[p]++
			}
			for _, r := range b.Rescan {
				rescans[r]++
			}
		case <-time.After(idle):
			return
		case <-deadline:
			return
		}
	}
}

func start(t *testing.T, root string, opts Options) *Watcher {
	t.Helper()
	if opts.Quiet == 0 {
		opts.Quiet = 100 * time.Millisecond
	}
	w, err := Start(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEverydayChanges(t *testing.T) {
	root := testenv.TempDir(t)
	write(t, root, "keep.txt", "x")
	write(t, root, "edit.txt", "v1")
	write(t, root, "old.txt", "bye")
	write(t, root, "a/moving.txt", "m")
	os.MkdirAll(filepath.Join(root, "b"), 0o755)
	w := start(t, root, Options{})

	write(t, root, "new.txt", "hello")
	write(t, root, "edit.txt", "v2")
	os.Remove(filepath.Join(root, "old.txt"))
	os.Rename(filepath.Join(root, "a/moving.txt"), filepath.Join(root, "b/moving.txt"))
	// An editor's safe save: write a temp file, rename it over the original.
	write(t, root, ".goutputstream-XYZ", "saved")
	os.Rename(filepath.Join(root, ".goutputstream-XYZ"), filepath.Join(root, "keep.txt"))
	// mkdir -p and fill at once: files may land before the watch exists.
	for i := 0; i < 20; i++ {
		write(t, root, fmt.Sprintf("deep/er/and/deeper/f%02d.txt", i), "d")
	}

	paths, rescans, _ := collect(t, w, 600*time.Millisecond, 10*time.Second)
	for _, want := range []string{"new.txt", "edit.txt", "old.txt", "a/moving.txt", "b/moving.txt", "keep.txt"} {
		if paths[want] == 0 {
			t.Errorf("%s was not reported: %v", want, paths)
		}
	}
	if rescans["deep"] == 0 {
		t.Errorf("the new folder tree should be rescanned: %v", rescans)
	}
	for p := range paths {
		if strings.Contains(p, "goutputstream") {
			t.Errorf("an editor's temporary file was reported: %s", p)
		}
	}
	// Later writes deep in the new tree are seen: its folders are watched.
	write(t, root, "deep/er/and/deeper/late.txt", "l")
	paths, _, _ = collect(t, w, 600*time.Millisecond, 5*time.Second)
	if paths["deep/er/and/deeper/late.txt"] == 0 {
		t.Errorf("a file written later in the new folders was not reported: %v", paths)
	}
}

// A thousand writes to one file become at most a handful of reports.
func TestBurstCoalesces(t *testing.T) {
	root := testenv.TempDir(t)
	w := start(t, root, Options{Quiet: 200 * time.Millisecond, MaxDelay: 5 * time.Second})
	f, err := os.Create(filepath.Join(root, "busy.log"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(f, "line %d\n", i)
	}
	f.Close()
	paths, _, batches := collect(t, w, time.Second, 10*time.Second)
	if paths["busy.log"] == 0 || paths["busy.log"] > 3 {
		t.Errorf("1000 writes were reported %d times in %d batches; want 1 to 3", paths["busy.log"], batches)
	}
}

// A file that never stops changing is still reported every MaxDelay.
func TestNeverQuietFileIsReportedRegularly(t *testing.T) {
	root := testenv.TempDir(t)
	w := start(t, root, Options{Quiet: 300 * time.Millisecond, MaxDelay: 500 * time.Millisecond})
	stop := time.After(2 * time.Second)
	reports := 0
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-tick.C:
			write(t, root, "app.log", time.Now().String())
		case b := <-w.Batches():
			for _, p := range b.Paths {
				if p == "app.log" {
					reports++
				}
			}
		case <-stop:
			done = true
		}
	}
	if reports < 2 {
		t.Errorf("a file written every 50ms for 2s was reported %d times; MaxDelay should force a report every 500ms", reports)
	}
}

func TestIgnoredPathsAreNeverReported(t *testing.T) {
	root := testenv.TempDir(t)
	os.MkdirAll(filepath.Join(root, "node_modules"), 0o755)
	w := start(t, root, Options{Filter: NewFilter("node_modules/", "*.log", "!keep.log")})
	for _, rel := range []string{"a.swp", "~$report.docx", "download.crdownload", ".DS_Store", "node_modules/x.js", "debug.log", "4913"} {
		write(t, root, rel, "junk")
	}
	write(t, root, "keep.log", "wanted")
	write(t, root, "real.txt", "wanted")
	paths, _, _ := collect(t, w, 600*time.Millisecond, 5*time.Second)
	if len(paths) != 2 || paths["real.txt"] == 0 || paths["keep.log"] == 0 {
		t.Errorf("reported %v; want only real.txt and keep.log", paths)
	}
}

// Past the watch limit, folders are rescanned on a timer and the user is
// told once, with the setting and the command that fixes it.
func TestWatchLimitFallsBackToScanning(t *testing.T) {
	root := testenv.TempDir(t)
	for i := 0; i < 6; i++ {
		os.MkdirAll(filepath.Join(root, fmt.Sprintf("d%d", i)), 0o755)
	}
	w := start(t, root, Options{MaxWatches: 3, FallbackScan: 300 * time.Millisecond})
	select {
	case note := <-w.Notes():
		for _, want := range []string{"fs.inotify.max_user_watches", "sudo sysctl"} {
			if !strings.Contains(note, want) {
				t.Errorf("the note should mention %q: %s", want, note)
			}
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no note about the watch limit")
	}
	_, rescans, _ := collect(t, w, 2*time.Second, 3*time.Second)
	// The root and d0, d1 take the 3 watches; d2 to d5 are scanned instead.
	if len(rescans) != 4 || rescans["d2"] == 0 || rescans["d5"] == 0 {
		t.Errorf("the 4 unwatched folders should be rescanned periodically: %v", rescans)
	}
	select {
	case note := <-w.Notes():
		t.Errorf("the user was told twice: %s", note)
	default:
	}
}

func TestFilterDefaults(t *testing.T) {
	f := NewFilter()
	for rel, want := range map[string]bool{
		"doc.txt": false, "a/.#doc.txt": true, "notes.txt~": true, "x/Thumbs.db": true, "dl.part": true,
		"4913": true, "~$budget.xlsx": true, "folder/desktop.ini": true, "report.swp": true, ".hidden": false,
	} {
		if got := f.Ignored(rel, false); got != want {
			t.Errorf("%s: ignored=%v, want %v", rel, got, want)
		}
	}
}

// The two halves of a rename reach the engine in one batch, however the
// moment the batch is cut falls between them: otherwise the old name is
// taken for a deletion and the new one uploaded again.
func TestRenameHalvesShareABatch(t *testing.T) {
	root := testenv.TempDir(t)
	for _, d := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "b", "x.txt"), []byte("moved"), 0o644)
	const quiet = 100 * time.Millisecond
	w := &Watcher{root: root, opts: Options{Filter: NewFilter(), Quiet: quiet, MaxDelay: time.Hour},
		paths: map[string]*pending{}, rescans: map[string]*pending{}, watched: map[string]bool{}}
	w.handle(fsnotify.Event{Name: filepath.Join(root, "a", "x.txt"), Op: fsnotify.Rename})
	from := *w.paths["a/x.txt"]
	time.Sleep(quiet / 2) // a busy machine can hand the second half over late
	w.handle(fsnotify.Event{Name: filepath.Join(root, "b", "x.txt"), Op: fsnotify.Create})
	// Whenever the batch is cut, the first one to hold either half holds both.
	for at := from.last; at.Before(from.last.Add(2 * quiet)); at = at.Add(quiet / 20) {
		if b, _ := w.due(at); len(b.Paths) > 0 {
			if strings.Join(b.Paths, " ") != "a/x.txt b/x.txt" {
				t.Fatalf("batch cut %v after the rename: %v, want both halves", at.Sub(from.last), b.Paths)
			}
			return
		}
	}
	t.Fatal("the rename was never reported")
}
