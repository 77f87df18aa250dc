package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/emulator"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// kill -9 at random moments, again and again: every file the index calls
// backed up is byte-correct on the server at every moment, nothing confirmed
// is ever uploaded twice, and a final run finishes the job.
func TestCrashAnywhere(t *testing.T) {
	bin := kumoBinary(t)
	type put struct {
		path string
		size int64
	}
	var mu sync.Mutex
	var puts []put
	e := testenv.StartEmulator(t, func(c *emulator.Config) {
		c.OnPut = func(_, area, p string, size int64) {
			mu.Lock()
			puts = append(puts, put{area + p, size})
			mu.Unlock()
		}
	})
	work := t.TempDir()
	src := filepath.Join(work, "Projects")
	files := testenv.WriteTree(t, src, testenv.TreeSpec{Files: 3000, MaxSize: 8 << 10, BigFile: 4 << 20, Seed: 31, MaxDepth: 4})
	caFile := filepath.Join(work, "ca.pem")
	os.WriteFile(caFile, e.Cert.CertPEM, 0o644)
	cache := filepath.Join(work, "cache")
	env := append(os.Environ(), "XDG_CACHE_HOME="+cache, "XDG_CONFIG_HOME="+filepath.Join(work, "config"), "KUMO_PASSWORD="+e.AppsPassword)
	args := []string{"backup", "--once", "--url", e.DAVURL("backup"), "--user", e.User, "--device", "crash", "--ca-file", caFile, src}
	serverDir := filepath.Join(e.AreaDir(e.User, "backup"), "crash", "Projects")

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("seed %d", seed)
	confirmedAt := map[string]int{} // path -> how many PUTs the server had stored when it was first seen confirmed
	killed := 0
	for trial := 0; trial < 12; trial++ {
		if trial > 0 {
			// New work for every run, so each has uploads left to interrupt
			// however fast the earlier ones were.
			added := testenv.WriteTree(t, filepath.Join(src, fmt.Sprintf("added-%02d", trial)),
				testenv.TreeSpec{Files: 300, MaxSize: 8 << 10, Seed: uint64(trial), MaxDepth: 1})
			files = append(files, added...)
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(20+rng.IntN(280)) * time.Millisecond
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-exited:
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			killed++
		}
		checkIndex(t, cache, serverDir, fmt.Sprintf("after trial %d (killed at %v)", trial, delay), func(rel string) {
			if _, ok := confirmedAt[rel]; !ok {
				mu.Lock()
				confirmedAt[rel] = len(puts)
				mu.Unlock()
			}
		})
	}
	if killed < 8 {
		t.Fatalf("only %d of 12 runs were killed mid-way: the tree is too small to test crashes", killed)
	}
	final := exec.Command(bin, args...)
	final.Env = env
	out, err := final.CombinedOutput()
	if err != nil {
		t.Fatalf("the run after the crashes: %v\n%s", err, out)
	}
	checkIndex(t, cache, serverDir, "at the end", func(string) {})
	n, size := testenv.AssertSameTree(t, src, serverDir)

	mu.Lock()
	defer mu.Unlock()
	var sent int64
	again := 0
	for i, p := range puts {
		sent += p.size
		rel, err := filepath.Rel("backup/crash/Projects", p.path[1:])
		if err != nil || path.IsAbs(rel) {
			continue
		}
		if at, ok := confirmedAt[filepath.ToSlash(rel)]; ok && i >= at {
			again++
			t.Errorf("%s was uploaded again after the index had confirmed it", rel)
		}
	}
	t.Logf("%d kills, %d files (%d bytes) byte-identical at the end; %d files confirmed during the crashes were never sent again; "+
		"bytes stored by the server: %d (%.2fx the tree, catalogs and unconfirmed re-sends included)",
		killed, n, size, len(confirmedAt)-again, sent, float64(sent)/float64(size))
	if len(files) != n {
		t.Errorf("compared %d of %d files", n, len(files))
	}
}

// checkIndex opens the (now unlocked) index and verifies every confirmed
// entry against the server's bytes.
func checkIndex(t *testing.T, cache, serverDir, when string, confirmed func(rel string)) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(cache, "kumo", "index", "*.db"))
	if len(matches) != 1 {
		return // killed before the index was created
	}
	ix, err := backup.OpenIndex(matches[0])
	if err != nil {
		t.Fatalf("%s: the index does not open: %v", when, err)
	}
	defer ix.Close()
	ix.ForEach("crash/Projects", func(rel string, en backup.Entry) {
		if en.Vacated || en.Link != "" || en.SHA256 == "" {
			return
		}
		sum, err := backup.HashFile(filepath.Join(serverDir, filepath.FromSlash(rel)))
		if err != nil || sum != en.SHA256 {
			t.Errorf("%s: the index records %s as backed up, but the server holds other bytes (%v)", when, rel, err)
			return
		}
		confirmed(rel)
	})
}
