//go:build bench

package bench

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// Row is one line of the table.
type Row struct {
	Scenario     string  `json:"scenario"`
	Kumo         string  `json:"kumo"`
	Rclone       string  `json:"rclone"`
	Ratio        float64 `json:"ratio,omitempty"` // Kumo's speed over rclone's
	KumoReqFile  float64 `json:"kumo_requests_per_file,omitempty"`
	RcloneReqFil float64 `json:"rclone_requests_per_file,omitempty"`
	KumoRSSMiB   float64 `json:"kumo_peak_rss_mib,omitempty"`
	RcloneRSSMiB float64 `json:"rclone_peak_rss_mib,omitempty"`
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// run is one measured process.
type run struct {
	took   time.Duration
	cpu    time.Duration // user and system time of the process itself
	rssMiB float64
	reqs   map[string]int
	out    string
}

type bench struct {
	t        *testing.T
	srv      *testenv.Apache
	kumo     string
	rclone   string
	work     string
	obscured string
}

func (b *bench) logCount() int { return len(b.srv.AccessLog(b.t)) }

// exec runs a command and counts the server's requests it caused.
func (b *bench) exec(env []string, name string, args ...string) run {
	b.t.Helper()
	before := b.logCount()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	peak := watchPeak(cmd.Process.Pid)
	err := cmd.Wait()
	r := run{took: time.Since(start), out: out.String(), reqs: map[string]int{}, rssMiB: peak()}
	if ps := cmd.ProcessState; ps != nil {
		r.cpu = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		b.t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, r.out)
	}
	for _, l := range b.srv.AccessLog(b.t)[before:] {
		r.reqs[l.Method]++
	}
	return r
}

// watchPeak reads the process's own peak RSS (VmHWM) every 10 ms while it
// runs; the returned function gives the last reading. (The rusage of a
// child started with os/exec reports the image it was forked from, the
// harness's own peak, which made Kumo and rclone look identical.)
func watchPeak(pid int) func() float64 {
	var mu sync.Mutex
	var last float64
	stop := make(chan struct{})
	go func() {
		for {
			if v := vmHWM(pid); v > 0 {
				mu.Lock()
				last = max(last, v)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() float64 {
		close(stop)
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// vmHWM is a process's peak resident memory in MiB, 0 once it is gone.
func vmHWM(pid int) float64 {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// fresh removes what a run stored on the server once it is measured: this
// VM's memory got slower to hand out after a few GB (fresh guest pages),
// which doubled the times of later runs, whichever tool made them.
func (b *bench) fresh(name string, r run) run {
	if err := os.RemoveAll(filepath.Join(b.srv.DataDir, name)); err != nil {
		b.t.Fatal(err)
	}
	return r
}

func total(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

// kumoBackup runs `kumo backup --once` with a fresh index unless cache is reused.
func (b *bench) kumoBackup(url, cache, device, src string) run {
	return b.exec([]string{"KUMO_PASSWORD=" + b.srv.Password, "XDG_CACHE_HOME=" + cache, "XDG_CONFIG_HOME=" + filepath.Join(b.work, "cfg")},
		b.kumo, "backup", "--once", "--url", url, "--user", b.srv.User, "--ca-file", b.srv.Certs.CAFile, "--device", device, src)
}

func (b *bench) rcloneCopy(url, src, dest string) run {
	return b.exec([]string{"RCLONE_CONFIG_B_TYPE=webdav", "RCLONE_CONFIG_B_URL=" + url, "RCLONE_CONFIG_B_VENDOR=other",
		"RCLONE_CONFIG_B_USER=" + b.srv.User, "RCLONE_CONFIG_B_PASS=" + b.obscured},
		b.rclone, "--config", filepath.Join(b.work, "rclone.conf"), "--ca-cert", b.srv.Certs.CAFile,
		"copy", "--transfers", "4", src, "b:"+dest)
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

// compare runs both tools reps times, alternating, and returns medians.
func (b *bench) compare(reps int, kumo func(i int) run, rclone func(i int) run) (k, r run, kMed, rMed time.Duration, kRSS, rRSS float64) {
	var kt, rt, kr, rr []float64
	for i := 0; i < reps; i++ {
		order := []bool{true, false}
		if i%2 == 1 {
			order = []bool{false, true}
		}
		for _, isKumo := range order {
			// Flush what the previous run left for the disk, so neither tool
			// pays for the other's writeback (it doubled times at random).
			syscall.Sync()
			if isKumo {
				k = kumo(i)
				kt, kr = append(kt, k.took.Seconds()), append(kr, k.rssMiB)
			} else {
				r = rclone(i)
				rt, rr = append(rt, r.took.Seconds()), append(rr, r.rssMiB)
			}
		}
	}
	b.t.Logf("  runs (s): kumo %.2f, rclone %.2f", kt, rt)
	return k, r, time.Duration(median(kt) * float64(time.Second)), time.Duration(median(rt) * float64(time.Second)), median(kr), median(rr)
}

func makeSmallTree(t *testing.T, root string, folders, perFolder, size int) int {
	data := make([]byte, size)
	rand.Read(data)
	for d := 0; d < folders; d++ {
		dir := filepath.Join(root, fmt.Sprintf("folder-%03d", d))
		os.MkdirAll(dir, 0o755)
		for f := 0; f < perFolder; f++ {
			data[0], data[1] = byte(d), byte(f) // distinct contents
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%05d.bin", f)), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return folders * perFolder
}

// writeRandom writes a file of mib MiB of random bytes.
func writeRandom(t *testing.T, p string, mib int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for range mib {
		rand.Read(chunk)
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// newBench starts the Apache fixture on tmpfs and takes a private copy of
// the kumo binary; everything ends with the test.
func newBench(t *testing.T) *bench {
	b := &bench{t: t, work: t.TempDir()}
	bin := os.Getenv("KUMO_BIN")
	if bin == "" {
		t.Fatal("set KUMO_BIN to the kumo binary (make bench does)")
	}
	// A private copy: a rebuild of bin/kumo during the run must not change what is measured.
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	b.kumo = filepath.Join(b.work, "kumo")
	if err := os.WriteFile(b.kumo, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	b.rclone = testenv.Require(t, "rclone")
	// The server stores on tmpfs: this VM's disk throttles after a few GB
	// written, which doubled the times of whichever tool came later.
	shm, err := os.MkdirTemp("/dev/shm", "kumo-bench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	if err := os.Chmod(shm, 0o755); err != nil {
		t.Fatal(err)
	}
	b.srv = testenv.StartApache(t, testenv.DataDir(filepath.Join(shm, "data")))
	out, err := exec.Command(b.rclone, "obscure", b.srv.Password).Output()
	if err != nil {
		t.Fatal(err)
	}
	b.obscured = strings.TrimSpace(string(out))
	return b
}

func TestBench(t *testing.T) {
	b := newBench(t)
	reps := envInt("BENCH_REPS", 3)
	smallFiles := envInt("BENCH_FILES", 10000)
	noopFiles := envInt("BENCH_NOOP_FILES", 100000)
	bigMiB := envInt("BENCH_BIG_MIB", 512)
	idle := time.Duration(envInt("BENCH_IDLE_SECONDS", 300)) * time.Second
	var rows []Row

	// 1. Many small files, first backup.
	small := filepath.Join(b.work, "small")
	n := makeSmallTree(t, small, 100, smallFiles/100, 4096)
	k, r, kt, rt, kRSS, rRSS := b.compare(reps,
		func(i int) run {
			return b.fresh(fmt.Sprintf("k1-%d", i), b.kumoBackup(b.srv.URL, filepath.Join(b.work, fmt.Sprintf("c1-%d", i)), fmt.Sprintf("k1-%d", i), small))
		},
		func(i int) run {
			return b.fresh(fmt.Sprintf("r1-%d", i), b.rcloneCopy(b.srv.URL, small, fmt.Sprintf("r1-%d", i)))
		})
	rows = append(rows, Row{Scenario: fmt.Sprintf("1. first backup, %d files of 4 KiB in 100 folders", n),
		Kumo: fmt.Sprintf("%.0f files/s (%.1f s)", float64(n)/kt.Seconds(), kt.Seconds()), Rclone: fmt.Sprintf("%.0f files/s (%.1f s)", float64(n)/rt.Seconds(), rt.Seconds()),
		Ratio: rt.Seconds() / kt.Seconds(), KumoReqFile: float64(total(k.reqs)) / float64(n), RcloneReqFil: float64(total(r.reqs)) / float64(n),
		KumoRSSMiB: kRSS, RcloneRSSMiB: rRSS})

	// 2. One big file.
	bigDir := filepath.Join(b.work, "big")
	writeRandom(t, filepath.Join(bigDir, "big.bin"), bigMiB)
	k, r, kt, rt, kRSS, rRSS = b.compare(reps,
		func(i int) run {
			return b.fresh(fmt.Sprintf("k2-%d", i), b.kumoBackup(b.srv.URL, filepath.Join(b.work, fmt.Sprintf("c2-%d", i)), fmt.Sprintf("k2-%d", i), bigDir))
		},
		func(i int) run {
			return b.fresh(fmt.Sprintf("r2-%d", i), b.rcloneCopy(b.srv.URL, bigDir, fmt.Sprintf("r2-%d", i)))
		})
	mib := float64(bigMiB)
	rows = append(rows, Row{Scenario: fmt.Sprintf("2. first backup, one %d MiB file", bigMiB),
		Kumo: fmt.Sprintf("%.0f MiB/s (%.2f s)", mib/kt.Seconds(), kt.Seconds()), Rclone: fmt.Sprintf("%.0f MiB/s (%.2f s)", mib/rt.Seconds(), rt.Seconds()),
		Ratio: rt.Seconds() / kt.Seconds(), KumoReqFile: float64(total(k.reqs)), RcloneReqFil: float64(total(r.reqs)), KumoRSSMiB: kRSS, RcloneRSSMiB: rRSS})

	// 3. No-op over an unchanged tree: Kumo from its index, rclone copy as it is
	// (over the same uploaded folder, which it finds complete by size).
	noop := filepath.Join(b.work, "noop")
	n = makeSmallTree(t, noop, 100, noopFiles/100, 512)
	cache3 := filepath.Join(b.work, "c3")
	b.kumoBackup(b.srv.URL, cache3, "k3", noop)
	k, r, kt, rt, kRSS, rRSS = b.compare(reps,
		func(int) run { return b.kumoBackup(b.srv.URL, cache3, "k3", noop) },
		func(int) run { return b.rcloneCopy(b.srv.URL, noop, "k3/noop") })
	rows = append(rows, Row{Scenario: fmt.Sprintf("3. no-op second run, %d unchanged files", n),
		Kumo:   fmt.Sprintf("%.2f s, %d PUT, %d PROPFIND", kt.Seconds(), k.reqs["PUT"], k.reqs["PROPFIND"]),
		Rclone: fmt.Sprintf("%.2f s, %d PUT, %d PROPFIND", rt.Seconds(), r.reqs["PUT"], r.reqs["PROPFIND"]),
		Ratio:  rt.Seconds() / kt.Seconds(), KumoReqFile: float64(total(k.reqs)) / float64(n), RcloneReqFil: float64(total(r.reqs)) / float64(n),
		KumoRSSMiB: kRSS, RcloneRSSMiB: rRSS})

	// Memory: the daemon with the no-op tree indexed and watched.
	d := b.daemon(cache3, "k3", noop)
	time.Sleep(10 * time.Second)
	rows = append(rows, Row{Scenario: fmt.Sprintf("memory: daemon with %d files indexed and watched", n),
		Kumo: fmt.Sprintf("%.0f MiB peak RSS (%.0f bytes per file)", d.peakRSS(), d.peakRSS()*(1<<20)/float64(n)), Rclone: "—"})
	d.stop()

	// Metadata per one-file edit, at 10,000 and at 100,000 files; then a
	// restore deep in the journal (the moment after the first of the edits).
	cache1 := filepath.Join(b.work, "c-meta")
	b.kumoBackup(b.srv.URL, cache1, "km", small)
	for _, c := range []struct {
		src, cache, device string
		files              int
	}{{small, cache1, "km", smallFiles}, {noop, cache3, "k3", noopFiles}} {
		up, st, moments := b.metadataPerEdit(c.src, c.cache, c.device, 20)
		rows = append(rows, Row{Scenario: fmt.Sprintf("metadata per one-file edit, %d files (20 edits)", c.files),
			Kumo: fmt.Sprintf("%.0f bytes sent, %.0f bytes stored", up, st), Rclone: "— (keeps no history)"})
		if c.src == noop && len(moments) > 20 {
			deep := moments[len(moments)-20]
			one := b.restoreAt(c.device, filepath.Base(c.src), deep, "folder-050/file-00500.bin")
			all := b.restoreAt(c.device, filepath.Base(c.src), deep)
			rows = append(rows, Row{Scenario: fmt.Sprintf("restore %d records deep in the journal, %d files", 19, c.files),
				Kumo: fmt.Sprintf("one file %.2f s, the whole folder %.1f s", one.Seconds(), all.Seconds()), Rclone: "—"})
		}
	}

	// Memory at 400,000 files: the daemon's first backup, then restarted
	// over its index, watching.
	hugeFiles := envInt("BENCH_HUGE_FILES", 400000)
	huge := filepath.Join(b.work, "huge")
	makeSmallTree(t, huge, hugeFiles/1000, 1000, 16)
	cacheH := filepath.Join(b.work, "c-huge")
	d = b.daemon(cacheH, "kh", huge)
	b.waitCount(filepath.Join(b.srv.DataDir, "kh", "huge"), hugeFiles, 30*time.Minute)
	time.Sleep(5 * time.Second)
	first := d.peakRSS()
	d.stop()
	d = b.daemon(cacheH, "kh", huge)
	time.Sleep(20 * time.Second)
	rows = append(rows, Row{Scenario: fmt.Sprintf("memory: daemon with %d files (first backup; then indexed and watched)", hugeFiles),
		Kumo: fmt.Sprintf("%.0f MiB; %.0f MiB peak RSS (%.0f bytes per file)", first, d.peakRSS(), d.peakRSS()*(1<<20)/float64(hugeFiles)), Rclone: "—"})
	d.stop()
	os.RemoveAll(filepath.Join(b.srv.DataDir, "kh"))

	// 4. Change latency with the daemon watching.
	live := filepath.Join(b.work, "live")
	os.MkdirAll(live, 0o755)
	os.WriteFile(filepath.Join(live, "ready"), []byte("x"), 0o644)
	d = b.daemon(filepath.Join(b.work, "c4"), "k4", live)
	b.waitFile(filepath.Join(b.srv.DataDir, "k4", "live", "ready"), 1, 30*time.Second)
	p50, p99 := b.latency(live, filepath.Join(b.srv.DataDir, "k4", "live"), 200)
	d.stop()
	rows = append(rows, Row{Scenario: "4. change latency, 200 edits, quiet delay 1 s",
		Kumo: fmt.Sprintf("p50 %d ms, p99 %d ms", p50.Milliseconds(), p99.Milliseconds()), Rclone: "— (no watcher)"})

	// 5. Far links: TestBenchLinks (30 and 200 ms, with a bandwidth cap).

	// 6. Idle daemon.
	d = b.daemon(filepath.Join(b.work, "c4"), "k4", live)
	time.Sleep(3 * time.Second)
	reqs0, cpu0 := b.logCount(), d.cpuSeconds()
	time.Sleep(idle)
	reqs, cpu := b.logCount()-reqs0, d.cpuSeconds()-cpu0
	d.stop()
	rows = append(rows, Row{Scenario: fmt.Sprintf("6. idle daemon for %v", idle),
		Kumo: fmt.Sprintf("%d requests, %.2f CPU-seconds", reqs, cpu), Rclone: "— (no daemon)"})

	writeRows(t, "BENCH_OUT", "kumo-bench.json", reps, rows)
}

// writeRows prints the table and writes it as JSON to $outEnv (or file in
// the temporary folder).
func writeRows(t *testing.T, outEnv, file string, reps int, rows []Row) {
	printTable(t, rows)
	for i := range rows { // a run too small to time leaves no ratio, not an unencodable Inf
		if math.IsInf(rows[i].Ratio, 0) || math.IsNaN(rows[i].Ratio) {
			rows[i].Ratio = 0
		}
	}
	raw, err := json.MarshalIndent(map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "reps": reps, "rows": rows}, "", "  ")
	if err != nil {
		t.Fatalf("the table as JSON: %v", err)
	}
	outFile := os.Getenv(outEnv)
	if outFile == "" {
		outFile = filepath.Join(os.TempDir(), file)
	}
	if err := os.WriteFile(outFile, raw, 0o644); err == nil {
		t.Logf("results written to %s", outFile)
	}
}

func printTable(t *testing.T, rows []Row) {
	var sb strings.Builder
	sb.WriteString("\n| scenario | Kumo | rclone | ratio | requests/file Kumo / rclone | peak RSS MiB Kumo / rclone |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		ratio, reqs, rss := "", "", ""
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.1fx", r.Ratio)
		}
		if r.KumoReqFile > 0 || r.RcloneReqFil > 0 {
			reqs = fmt.Sprintf("%.2f / %.2f", r.KumoReqFile, r.RcloneReqFil)
		}
		if r.KumoRSSMiB > 0 {
			rss = fmt.Sprintf("%.0f / %.0f", r.KumoRSSMiB, r.RcloneRSSMiB)
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s |\n", r.Scenario, r.Kumo, r.Rclone, ratio, reqs, rss)
	}
	fmt.Print(sb.String())
	t.Log(sb.String())
}

// daemon is a running `kumo daemon`.
type daemon struct {
	cmd *exec.Cmd
	t   *testing.T
}

func (b *bench) daemon(cache, device, src string) *daemon {
	cfgDir := filepath.Join(b.work, "cfg-"+device)
	cfg := &account.Config{Account: &account.Account{Service: account.WebDAV, URL: b.srv.URL, User: b.srv.User, Device: device, CAFile: b.srv.Certs.CAFile}}
	if err := cfg.Save(filepath.Join(cfgDir, "kumo", "config.json")); err != nil {
		b.t.Fatal(err)
	}
	cmd := exec.Command(b.kumo, "daemon", src)
	cmd.Env = append(os.Environ(), "KUMO_PASSWORD="+b.srv.Password, "XDG_CACHE_HOME="+cache, "XDG_CONFIG_HOME="+cfgDir)
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	return &daemon{cmd: cmd, t: b.t}
}

func (d *daemon) stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.cmd.Wait()
}

// peakRSS reads VmHWM from /proc.
func (d *daemon) peakRSS() float64 { return vmHWM(d.cmd.Process.Pid) }

// cpuSeconds reads utime+stime from /proc.
func (d *daemon) cpuSeconds() float64 {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.cmd.Process.Pid))
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	u, _ := strconv.ParseFloat(fields[11], 64)
	s, _ := strconv.ParseFloat(fields[12], 64)
	return (u + s) / 100 // clock ticks (USER_HZ 100)
}

// waitCount waits until dir holds n files.
func (b *bench) waitCount(dir string, n int, limit time.Duration) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		count := 0
		filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				count++
			}
			return nil
		})
		if count >= n {
			return
		}
	}
	b.t.Fatalf("%s never held %d files", dir, n)
}

func (b *bench) waitFile(p string, size int64, limit time.Duration) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st, err := os.Stat(p); err == nil && st.Size() == size {
			return
		}
	}
	b.t.Fatalf("%s never reached the server", p)
}

// latency makes edits one every 50ms and times each from close to stored.
func (b *bench) latency(src, server string, edits int) (p50, p99 time.Duration) {
	closed := map[string]time.Time{}
	var lat []time.Duration
	pending := map[string]int64{}
	poll := func() {
		for rel, size := range pending {
			if st, err := os.Stat(filepath.Join(server, rel)); err == nil && st.Size() == size {
				lat = append(lat, time.Since(closed[rel]))
				delete(pending, rel)
			}
		}
	}
	for i := 0; i < edits; i++ {
		rel := fmt.Sprintf("edit-%03d.txt", i)
		data := []byte(strings.Repeat("k", 100+i))
		os.WriteFile(filepath.Join(src, rel), data, 0o644)
		closed[rel], pending[rel] = time.Now(), int64(len(data))
		for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			poll()
		}
	}
	for deadline := time.Now().Add(30 * time.Second); len(pending) > 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		poll()
	}
	if len(pending) > 0 {
		b.t.Fatalf("%d edits never reached the server", len(pending))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2], lat[len(lat)*99/100]
}
