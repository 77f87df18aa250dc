//go:build bench

package bench

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBenchEncryption: the same first backups encrypted and not, same run,
// alternating (goal: encrypted at least 80% of the unencrypted speed, no
// more memory), and beside rclone's own crypt remote over the same server.
func TestBenchEncryption(t *testing.T) {
	b := newBench(t)
	reps := envInt("BENCH_REPS", 3)
	bigMiB := envInt("BENCH_ENC_MIB", 512)
	smallFiles := envInt("BENCH_ENC_FILES", 10000)
	const passphrase, salt = "bench passphrase, long enough", "bench-salt"
	pass2, err := exec.Command(b.rclone, "obscure", passphrase).Output()
	if err != nil {
		t.Fatal(err)
	}
	salt2, err := exec.Command(b.rclone, "obscure", salt).Output()
	if err != nil {
		t.Fatal(err)
	}
	kumoAt := func(url, name, src string, encrypt bool) run {
		env := []string{"KUMO_PASSWORD=" + b.srv.Password, "XDG_CACHE_HOME=" + filepath.Join(b.work, "c-"+name),
			"XDG_CONFIG_HOME=" + filepath.Join(b.work, "cfg"), "DBUS_SESSION_BUS_ADDRESS="}
		args := []string{"backup", "--once", "--url", url, "--user", b.srv.User, "--ca-file", b.srv.Certs.CAFile, "--device", name}
		if encrypt {
			env = append(env, "KUMO_PASSPHRASE="+passphrase)
			args = append(args, "--encrypt")
		}
		return b.fresh(name, b.exec(env, b.kumo, append(args, src)...))
	}
	kumo := func(name, src string, encrypt bool) run { return kumoAt(b.srv.URL, name, src, encrypt) }
	rcloneCrypt := func(name, src string) run {
		return b.fresh(name, b.exec([]string{"RCLONE_CONFIG_B_TYPE=webdav", "RCLONE_CONFIG_B_URL=" + b.srv.URL, "RCLONE_CONFIG_B_VENDOR=other",
			"RCLONE_CONFIG_B_USER=" + b.srv.User, "RCLONE_CONFIG_B_PASS=" + b.obscured,
			"RCLONE_CONFIG_C_TYPE=crypt", "RCLONE_CONFIG_C_REMOTE=b:" + name, "RCLONE_CONFIG_C_FILENAME_ENCRYPTION=off",
			"RCLONE_CONFIG_C_DIRECTORY_NAME_ENCRYPTION=false", "RCLONE_CONFIG_C_PASSWORD=" + strings.TrimSpace(string(pass2)),
			"RCLONE_CONFIG_C_PASSWORD2=" + strings.TrimSpace(string(salt2))},
			b.rclone, "--config", filepath.Join(b.work, "rclone.conf"), "--ca-cert", b.srv.Certs.CAFile,
			"copy", "--transfers", "4", src, "c:"))
	}

	bigDir := filepath.Join(b.work, "big")
	writeRandom(t, filepath.Join(bigDir, "big.bin"), bigMiB)
	small := filepath.Join(b.work, "small")
	n := makeSmallTree(t, small, 100, smallFiles/100, 4096)
	// rclone copies small files at ~30 a second here: a tenth of the tree, same shape.
	smallR := filepath.Join(b.work, "small-rclone")
	nR := makeSmallTree(t, smallR, max(1, envInt("BENCH_ENC_RCLONE_FILES", 1000)/100), 100, 4096)
	var rows []Row
	for _, c := range []struct {
		scenario, src, rcloneSrc string
		units, rcloneUnits       float64
		unit                     string
	}{
		{fmt.Sprintf("encrypted first backup, one %d MiB file", bigMiB), bigDir, bigDir, float64(bigMiB), float64(bigMiB), "MiB/s"},
		{fmt.Sprintf("encrypted first backup, %d files of 4 KiB in 100 folders (rclone: %d)", n, nR), small, smallR, float64(n), float64(nR), "files/s"},
	} {
		id := len(rows)
		// Unmeasured, once each: the first run on fresh tmpfs pages was up to
		// 50% slower. Their CPU time says what encrypting costs, whatever the
		// server's share of this machine's two cores.
		cpuEnc := kumo(fmt.Sprintf("w%d-e", id), c.src, true).cpu
		cpuPlain := kumo(fmt.Sprintf("w%d-p", id), c.src, false).cpu
		_, _, enc, plain, encRSS, plainRSS := b.compare(reps,
			func(i int) run { return kumo(fmt.Sprintf("e%d-%d", id, i), c.src, true) },
			func(i int) run { return kumo(fmt.Sprintf("p%d-%d", id, i), c.src, false) })
		k, r, enc2, crypt, kRSS, rRSS := b.compare(reps,
			func(i int) run { return kumo(fmt.Sprintf("f%d-%d", id, i), c.src, true) },
			func(i int) run { return rcloneCrypt(fmt.Sprintf("rc%d-%d", id, i), c.rcloneSrc) })
		encRate, plainRate, cryptRate := c.units/enc.Seconds(), c.units/plain.Seconds(), c.rcloneUnits/crypt.Seconds()
		perFile := func(reqs map[string]int, files float64) float64 {
			if c.unit == "MiB/s" {
				return float64(total(reqs))
			}
			return float64(total(reqs)) / files
		}
		rows = append(rows, Row{Scenario: c.scenario,
			Kumo: fmt.Sprintf("%.0f %s (%.2f s), %.0f%% of unencrypted %.0f %s (%.2f s); peak RSS %.0f MiB encrypted, %.0f unencrypted; CPU %.2f s encrypted, %.2f unencrypted; 2nd set %.0f %s",
				encRate, c.unit, enc.Seconds(), 100*encRate/plainRate, plainRate, c.unit, plain.Seconds(), encRSS, plainRSS,
				cpuEnc.Seconds(), cpuPlain.Seconds(), c.units/enc2.Seconds(), c.unit),
			Rclone: fmt.Sprintf("crypt remote: %.0f %s (%.2f s)", cryptRate, c.unit, crypt.Seconds()),
			Ratio:  (c.units / enc2.Seconds()) / cryptRate, KumoReqFile: perFile(k.reqs, c.units), RcloneReqFil: perFile(r.reqs, c.rcloneUnits),
			KumoRSSMiB: kRSS, RcloneRSSMiB: rRSS})
	}
	// Over a real link (30 ms RTT, 40 Mbit/s) the link decides, not the cipher.
	cappedMiB := envInt("BENCH_ENC_CAPPED_MIB", 128)
	capped := filepath.Join(b.work, "capped")
	writeRandom(t, filepath.Join(capped, "big.bin"), cappedMiB)
	link, err := startLink(strings.TrimSuffix(strings.TrimPrefix(b.srv.URL, "https://"), "/dav/"), 15*time.Millisecond, 40e6)
	if err != nil {
		t.Fatal(err)
	}
	far := "https://" + link.Addr() + "/dav/"
	enc, plain := kumoAt(far, "ce", capped, true), kumoAt(far, "cp", capped, false)
	link.Close()
	mb := func(r run) float64 { return float64(cappedMiB) * (1 << 20) / 1e6 / r.took.Seconds() }
	rows = append(rows, Row{Scenario: fmt.Sprintf("encrypted, one %d MiB file over 30 ms RTT, 40 Mbit/s (5.0 MB/s)", cappedMiB),
		Kumo:   fmt.Sprintf("%.2f MB/s, %.0f%% of unencrypted %.2f MB/s; CPU %.2f s encrypted, %.2f unencrypted", mb(enc), 100*mb(enc)/mb(plain), mb(plain), enc.cpu.Seconds(), plain.cpu.Seconds()),
		Rclone: "—", KumoRSSMiB: enc.rssMiB, RcloneRSSMiB: 0})

	writeRows(t, "BENCH_ENC_OUT", "kumo-bench-encryption.json", reps, rows)
}
