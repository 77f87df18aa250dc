package emulator_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// rclone, an independent WebDAV client, copies a tree into the emulator and
// back byte for byte: the emulator speaks WebDAV as others do, not only as
// Kumo does.
func TestRcloneRoundTrip(t *testing.T) {
	bin := testenv.Require(t, "rclone")
	e := testenv.StartEmulator(t)
	work := t.TempDir()
	src, back := filepath.Join(work, "src"), filepath.Join(work, "back")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 150, MaxSize: 16 << 10, BigFile: 3 << 20, Seed: 11, MaxDepth: 3})
	certFile := filepath.Join(work, "emulator.pem")
	if err := os.WriteFile(certFile, e.Cert.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rclone := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--ca-cert", certFile, "--config", filepath.Join(work, "rclone.conf")}, args...)...)
		cmd.Env = append(os.Environ(),
			"RCLONE_CONFIG_EMU_TYPE=webdav",
			"RCLONE_CONFIG_EMU_URL="+e.DAVURL("dav"),
			"RCLONE_CONFIG_EMU_VENDOR=other",
			"RCLONE_CONFIG_EMU_USER="+e.User,
			// Only what no filesystem can hold is encoded, so names match on disk.
			"RCLONE_CONFIG_EMU_ENCODING=Slash,Del,Ctl,InvalidUtf8",
		)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	obscured := rclone("obscure", e.AppsPassword)
	t.Setenv("RCLONE_CONFIG_EMU_PASS", obscured)

	rclone("copy", "--create-empty-src-dirs", src, "emu:tree")
	n, size := testenv.AssertSameTree(t, src, filepath.Join(e.AreaDir(e.User, "dav"), "tree"))
	rclone("copy", "--create-empty-src-dirs", "emu:tree", back)
	testenv.AssertSameTree(t, src, back)
	t.Logf("rclone copied %d files (%d bytes) into the emulator and back", n, size)
}
