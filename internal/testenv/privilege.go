package testenv

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// unprivilegedEnv marks the copy of a test that runs as an ordinary user.
const unprivilegedEnv = "KUMO_TEST_UNPRIVILEGED"

// AsOrdinaryUser makes the calling test run as an ordinary user, since
// root reads any file whatever its permissions. Run as root (CI, this
// machine), it runs the test again in a child process as "nobody" and
// reports true: the caller returns and the child's verdict is the test's.
// Run as anyone else, it reports false and the test goes on here.
func AsOrdinaryUser(t *testing.T) (delegated bool) {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	if os.Getenv(unprivilegedEnv) != "" {
		t.Fatal("still root in the unprivileged child")
	}
	// The test binary sits in a root-only build folder: copy it where
	// nobody can run it, with a scratch folder nobody can write.
	dir, err := os.MkdirTemp("", "kumo-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	scratch := filepath.Join(dir, "tmp")
	if err := os.Mkdir(scratch, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	os.Chmod(scratch, 0o1777)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "test.bin")
	if err := copyFile(self, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Dir = scratch
	cmd.Env = append(os.Environ(), unprivilegedEnv+"=1", "TMPDIR="+scratch, "HOME="+scratch,
		"XDG_CACHE_HOME="+scratch, "XDG_CONFIG_HOME="+scratch)
	cmd.SysProcAttr = asNobody()
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		t.Log("as nobody: " + line)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the test failed as an ordinary user (%v)", err)
	}
	return true
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Mount mounts a tmpfs of size bytes at dir for the test (a removable
// drive, or a small disk that fills up) and returns a function that
// unmounts it; the test's end unmounts it too.
func Mount(t testing.TB, dir string, size int64) (unmount func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "mounting a test drive needs root")
	}
	mounted := true
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "kumo-test", dir).CombinedOutput(); err != nil {
		Missing(t, "cannot mount a tmpfs for the test: %v %s", err, out)
	}
	unmount = func() {
		if mounted {
			mounted = false
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				exec.Command("umount", "-l", dir).Run()
				t.Logf("umount %s: %v %s", dir, err, out)
			}
		}
	}
	t.Cleanup(unmount)
	return unmount
}
