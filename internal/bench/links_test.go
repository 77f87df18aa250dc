//go:build bench

package bench

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBenchLinks measures the first backup of small files where the round
// trip decides (loopback against a bare uploader; 30 and 200 ms with a
// 40 Mbit/s cap against rclone and the round-trip limit) and one large file
// through the capped link.
func TestBenchLinks(t *testing.T) {
	b := newBench(t)
	reps := envInt("BENCH_REPS", 3)
	files := envInt("BENCH_FILES", 10000)
	rclone30 := envInt("BENCH_RCLONE_30_FILES", files)
	rclone200 := envInt("BENCH_RCLONE_200_FILES", 1000) // rclone at 200 ms: ~5 files/s
	cappedMiB := envInt("BENCH_CAPPED_MIB", 512)
	parts := os.Getenv("BENCH_LINKS") // some of loopback, far30, far200, capped; all when empty
	part := func(name string) bool { return parts == "" || strings.Contains(parts, name) }
	const capBits = 40e6
	var rows []Row

	server := strings.TrimSuffix(strings.TrimPrefix(b.srv.URL, "https://"), "/dav/") // host:port the links forward to
	small := filepath.Join(b.work, "small")
	n := makeSmallTree(t, small, 100, files/100, 4096)

	// Loopback: Kumo against the least a client must do (MKCOL each
	// folder, PUT each file, nothing else) with 4 and with 16 connections.
	if part("loopback") {
		var kumo, bare4, bare16 []float64
		for i := range reps {
			k := b.fresh(fmt.Sprintf("kl-%d", i), b.kumoBackup(b.srv.URL, filepath.Join(b.work, fmt.Sprintf("cl-%d", i)), fmt.Sprintf("kl-%d", i), small))
			kumo = append(kumo, k.took.Seconds())
			bare4 = append(bare4, b.bareUpload(b.srv.URL, small, fmt.Sprintf("b4-%d", i), 4).Seconds())
			bare16 = append(bare16, b.bareUpload(b.srv.URL, small, fmt.Sprintf("b16-%d", i), 16).Seconds())
		}
		kt, b4, b16 := median(kumo), median(bare4), median(bare16)
		rows = append(rows, Row{Scenario: fmt.Sprintf("first backup on loopback, %d files of 4 KiB: Kumo against a bare Go uploader (MKCOL + PUT only)", n),
			Kumo:   fmt.Sprintf("%.0f files/s (%.2f s)", float64(n)/kt, kt),
			Rclone: fmt.Sprintf("bare uploader: %.0f files/s with 4 connections, %.0f with 16 (%.2f / %.2f s)", float64(n)/b4, float64(n)/b16, b4, b16),
			Ratio:  min(b4, b16) / kt})
	}

	// Far links: the same tree through a 30 ms and a 200 ms round trip, both
	// capped at 40 Mbit/s. rclone copies a smaller tree of the same shape at
	// 200 ms (it needs three round trips a file, 4 at a time).
	for _, c := range []struct {
		oneWay      time.Duration
		rcloneFiles int
	}{{15 * time.Millisecond, rclone30}, {100 * time.Millisecond, rclone200}} {
		rtt := 2 * c.oneWay
		if !part(fmt.Sprintf("far%d", rtt.Milliseconds())) {
			continue
		}
		link, err := startLink(server, c.oneWay, capBits)
		if err != nil {
			t.Fatal(err)
		}
		far := "https://" + link.Addr() + "/dav/"
		tag := fmt.Sprint(rtt.Milliseconds())
		k := b.fresh("kf"+tag, b.kumoBackup(far, filepath.Join(b.work, "cf"+tag), "kf"+tag, small))
		rsrc := small
		if c.rcloneFiles < n {
			rsrc = filepath.Join(b.work, "rsmall"+tag)
			makeSmallTree(t, rsrc, max(c.rcloneFiles/100, 1), min(c.rcloneFiles, 100), 4096)
		}
		rn := countFiles(t, rsrc)
		r := b.fresh("rf"+tag, b.rcloneCopy(far, rsrc, "rf"+tag))
		link.Close()
		kRate, rRate := float64(n)/k.took.Seconds(), float64(rn)/r.took.Seconds()
		bound := min(capBits/8/4400, 16/rtt.Seconds()) // a PUT of 4 KiB is about 4,400 bytes on the wire
		rows = append(rows, Row{Scenario: fmt.Sprintf("first backup over %v RTT, 40 Mbit/s, %d files of 4 KiB", rtt, n),
			Kumo:   fmt.Sprintf("%.0f files/s (%.1f s), %.0f%% of the limit %.0f files/s (goal 80%%)", kRate, k.took.Seconds(), 100*kRate/bound, bound),
			Rclone: fmt.Sprintf("%.1f files/s (%d files, %.1f s)", rRate, rn, r.took.Seconds()),
			Ratio:  kRate / rRate, KumoReqFile: float64(total(k.reqs)) / float64(n), RcloneReqFil: float64(total(r.reqs)) / float64(rn),
			KumoRSSMiB: k.rssMiB, RcloneRSSMiB: r.rssMiB})
	}

	// One large file through the 30 ms, 40 Mbit/s link.
	if !part("capped") {
		writeRows(t, "BENCH_LINKS_OUT", "kumo-bench-links.json", reps, rows)
		return
	}
	bigDir := filepath.Join(b.work, "capped")
	writeRandom(t, filepath.Join(bigDir, "big.bin"), cappedMiB)
	link, err := startLink(server, 15*time.Millisecond, capBits)
	if err != nil {
		t.Fatal(err)
	}
	far := "https://" + link.Addr() + "/dav/"
	k := b.fresh("kbig", b.kumoBackup(far, filepath.Join(b.work, "cbig"), "kbig", bigDir))
	r := b.fresh("rbig", b.rcloneCopy(far, bigDir, "rbig"))
	link.Close()
	capMB := capBits / 8 / 1e6
	kMB, rMB := float64(cappedMiB)*(1<<20)/1e6/k.took.Seconds(), float64(cappedMiB)*(1<<20)/1e6/r.took.Seconds()
	rows = append(rows, Row{Scenario: fmt.Sprintf("one %d MiB file over 30 ms RTT, 40 Mbit/s (%.1f MB/s)", cappedMiB, capMB),
		Kumo:   fmt.Sprintf("%.2f MB/s, %.0f%% of the cap (goal 90%%)", kMB, 100*kMB/capMB),
		Rclone: fmt.Sprintf("%.2f MB/s", rMB), Ratio: kMB / rMB, KumoRSSMiB: k.rssMiB, RcloneRSSMiB: r.rssMiB})

	writeRows(t, "BENCH_LINKS_OUT", "kumo-bench-links.json", reps, rows)
}

// bareUpload is the floor for a first backup: walk the tree, one MKCOL per
// folder and one PUT per file, conns at once, in this process (no start-up),
// nothing hashed, read back or recorded.
func (b *bench) bareUpload(url, src, dest string, conns int) time.Duration {
	b.t.Helper()
	pem, err := os.ReadFile(b.srv.Certs.CAFile)
	if err != nil {
		b.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	do := func(method, rel string, body []byte) {
		req, err := http.NewRequest(method, url+dest+rel, bytes.NewReader(body))
		if err != nil {
			b.t.Error(err)
			return
		}
		req.SetBasicAuth(b.srv.User, b.srv.Password)
		resp, err := client.Do(req)
		if err != nil {
			b.t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body) // an unread body would cost the connection
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.t.Errorf("%s %s: %s", method, rel, resp.Status)
		}
	}
	start := time.Now() // finding the files is part of the job
	var dirs, files []string
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = "/" + filepath.ToSlash(rel)
		if rel == "/." {
			rel = ""
		}
		if d.IsDir() {
			dirs = append(dirs, rel+"/")
		} else {
			files = append(files, rel)
		}
		return nil
	})
	parallel := func(items []string, fn func(string)) {
		jobs := make(chan string)
		var wg sync.WaitGroup
		for range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for it := range jobs {
					fn(it)
				}
			}()
		}
		for _, it := range items {
			jobs <- it
		}
		close(jobs)
		wg.Wait()
	}
	// Folders a level at a time (parents first), each level in parallel.
	for depth := 1; ; depth++ {
		var level []string
		for _, d := range dirs {
			if strings.Count(d, "/") == depth {
				level = append(level, d)
			}
		}
		if len(level) == 0 {
			break
		}
		parallel(level, func(d string) { do("MKCOL", d, nil) })
	}
	parallel(files, func(rel string) {
		data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(rel)))
		if err != nil {
			b.t.Error(err)
			return
		}
		do("PUT", rel, data)
	})
	took := time.Since(start)
	b.fresh(dest, run{})
	return took
}

func countFiles(t *testing.T, root string) (n int) {
	t.Helper()
	filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	return n
}
