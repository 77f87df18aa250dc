package testenv

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// AwkwardNames are file and folder names that break naive URL handling.
var AwkwardNames = []string{
	"with space.txt", "hash#tag.txt", "100%.txt", "what?.txt", "a&b=c.txt",
	"semi;colon.txt", "plus+sign.txt", "quote'n\"dq.txt", "café.txt", "日本語.txt",
	".hidden", "brackets [1] (2) {3}.txt", "tilde~.txt", "emoji☁.txt",
}

// TreeSpec describes a generated test tree.
type TreeSpec struct {
	Files    int   // total regular files, including the special ones below
	MaxSize  int   // upper bound of a random small file's size
	BigFile  int64 // size of one large file, 0 for none
	Seed     uint64
	MaxDepth int
}

// WriteTree fills root with a deterministic tree per spec: nested folders
// (some with awkward names), an empty file, the AwkwardNames, an empty
// folder and, when asked, one big file. It returns the files' relative paths.
func WriteTree(t testing.TB, root string, spec TreeSpec) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x5eed))
	dirs := []string{"."}
	dirNames := []string{"docs", "photos 2024", "#dir%", "ünïcode", "日本", ".config", "a&b", "deep"}
	for i := 0; i < 30; i++ {
		parent := dirs[rng.IntN(len(dirs))]
		if depth(parent) >= spec.MaxDepth {
			parent = "."
		}
		dirs = append(dirs, filepath.Join(parent, fmt.Sprintf("%s-%d", dirNames[i%len(dirNames)], i)))
	}
	for _, d := range append(dirs, "empty folder") {
		mustMkdir(t, filepath.Join(root, d))
	}

	var files []string
	write := func(rel string, data []byte) {
		if err := os.WriteFile(filepath.Join(root, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	write("empty.txt", nil)
	for i, name := range AwkwardNames {
		if runtime.GOOS == "windows" { // a name Windows users cannot have: the same file, as they would name it
			name = strings.NewReplacer("?", "¿", `"`, "”").Replace(name)
		}
		write(filepath.Join(dirs[i%len(dirs)], name), randomBytes(rng, 1+rng.IntN(max(spec.MaxSize, 1))))
	}
	if spec.BigFile > 0 {
		write("big.bin", randomBytes(rng, int(spec.BigFile)))
	}
	for i := len(files); i < spec.Files; i++ {
		write(filepath.Join(dirs[rng.IntN(len(dirs))], fmt.Sprintf("file-%04d.dat", i)), randomBytes(rng, rng.IntN(max(spec.MaxSize, 1)+1)))
	}
	return files
}

func depth(rel string) int {
	if rel == "." {
		return 0
	}
	n := 1
	for _, c := range rel {
		if c == filepath.Separator {
			n++
		}
	}
	return n
}

func mustMkdir(t testing.TB, p string) {
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TreeDiff describes the first difference between two trees, "" if none.
func TreeDiff(want, got string) string {
	var diff string
	rec := &recorder{fail: func(format string, args ...any) {
		if diff == "" {
			diff = fmt.Sprintf(format, args...)
		}
	}}
	AssertSameTree(rec, want, got)
	return diff
}

// recorder is a testing.TB that keeps the first error instead of failing.
type recorder struct {
	testing.TB
	fail func(format string, args ...any)
}

func (r *recorder) Helper()                           {}
func (r *recorder) Errorf(format string, args ...any) { r.fail(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.fail("%v", fmt.Sprint(args...)) }

// AssertSameTree checks that got holds exactly want's regular files and
// folders, each file byte-identical. It returns the number of files and
// bytes compared.
func AssertSameTree(t testing.TB, want, got string) (files int, size int64) {
	t.Helper()
	wantSet := listTree(t, want)
	gotSet := listTree(t, got)
	for rel, isDir := range wantSet {
		gotDir, ok := gotSet[rel]
		if !ok {
			t.Errorf("missing on the server: %s", rel)
			continue
		}
		if isDir != gotDir {
			t.Errorf("%s: folder/file mismatch", rel)
			continue
		}
		if isDir {
			continue
		}
		a, err := os.ReadFile(filepath.Join(want, rel))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: content differs (%d bytes local, %d on the server)", rel, len(a), len(b))
		}
		files++
		size += int64(len(a))
	}
	for rel := range gotSet {
		if _, ok := wantSet[rel]; !ok {
			t.Errorf("unexpected on the server: %s", rel)
		}
	}
	return files, size
}

func listTree(t testing.TB, root string) map[string]bool {
	t.Helper()
	set := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() || d.Type().IsRegular() {
			set[filepath.ToSlash(rel)] = d.IsDir()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// Files lists the regular files under root whose name match accepts.
func Files(root string, match func(name string) bool) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && match(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Eventually waits for cond, the way a person waits for a screen or a
// server to show something, and fails the test past limit.
func Eventually(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	if !Within(limit, cond) {
		t.Fatalf("gave up waiting for %s", what)
	}
}

// Within waits up to limit for cond and reports whether it came true (a
// test that says more than Eventually when it does not).
func Within(limit time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
