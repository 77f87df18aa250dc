package crypt_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/internal/testenv"
)

// Both ways with Debian's rclone, an independent implementation: what Kumo
// encrypts, rclone's crypt remote (configured from Kumo's own recovery
// lines) reads back byte for byte, and what rclone encrypts Kumo reads; an
// empty file, one of exactly 64 KiB, 64 KiB + 1, a 5 MiB one and a Japanese
// name among them. rclone also reveals Kumo's obscured passphrase.
func TestRcloneReadsWhatKumoWritesAndBack(t *testing.T) {
	rclone := testenv.Require(t, "rclone")
	const passphrase, salt = "rclone interop 合言葉", "kumo-salt-7"
	key, err := crypt.DeriveKey(passphrase, salt)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"empty.txt": {}, "block.dat": make([]byte, 64<<10), "block+1.dat": make([]byte, 64<<10+1),
		"large.bin": make([]byte, 5<<20+123), "写真/旅行 2026.jpg": make([]byte, 200<<10)}
	for _, b := range files {
		rand.Read(b)
	}
	server := t.TempDir() // stands for the folder on the server
	for name, b := range files {
		enc, err := key.Encrypt(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(server, filepath.FromSlash(name)+crypt.Suffix)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		f, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, enc); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	section, err := crypt.RcloneRemote("secret", server, passphrase, salt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(section, passphrase) || strings.Contains(section, salt) {
		t.Fatal("the rclone lines carry the passphrase in the clear")
	}
	conf := filepath.Join(t.TempDir(), "rclone.conf")
	if err := os.WriteFile(conf, []byte(section), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(rclone, append([]string{"--config", conf}, args...)...)
		cmd.Env = append(os.Environ(), "RCLONE_PASSWORD_COMMAND=", "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	obscured := strings.TrimSpace(strings.SplitN(strings.SplitN(section, "password = ", 2)[1], "\n", 2)[0])
	if got := strings.TrimSpace(run("reveal", obscured)); got != passphrase {
		t.Fatalf("rclone reveals Kumo's obscured passphrase as %q", got)
	}

	// rclone reads what Kumo wrote.
	out := t.TempDir()
	run("copy", "secret:", out)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("rclone read %s back wrong (%v, %d of %d bytes)", name, err, len(got), len(want))
		}
	}

	// Kumo reads what rclone wrote.
	plain := filepath.Join(t.TempDir(), "from-rclone")
	os.MkdirAll(filepath.Join(plain, "書類"), 0o755)
	fromRclone := map[string][]byte{"note.txt": []byte("written by rclone"), "書類/big.dat": make([]byte, 3*64<<10+5), "zero": {}}
	rand.Read(fromRclone["書類/big.dat"])
	for name, b := range fromRclone {
		os.WriteFile(filepath.Join(plain, filepath.FromSlash(name)), b, 0o644)
	}
	run("copy", plain, "secret:from-rclone")
	for name, want := range fromRclone {
		f, err := os.Open(filepath.Join(server, "from-rclone", filepath.FromSlash(name)+crypt.Suffix))
		if err != nil {
			t.Fatalf("rclone did not write %s as expected: %v", name, err)
		}
		st, _ := f.Stat()
		if size, err := crypt.PlainSize(st.Size()); err != nil || size != int64(len(want)) {
			t.Errorf("%s: PlainSize(%d) = %d, %v; want %d", name, st.Size(), size, err, len(want))
		}
		r, err := key.Decrypt(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		f.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Kumo read rclone's %s wrong (%v)", name, err)
		}
	}
	t.Logf("rclone read %d files Kumo encrypted, Kumo read %d rclone encrypted", len(files), len(fromRclone))
}
