package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kumo-backup/kumo/internal/cli"
	"github.com/kumo-backup/kumo/internal/testenv"
)

func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), cli.Env{
		Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return env[k] },
		Build:  cli.BuildInfo{Version: "0.0.0-test", Commit: "abc"},
	}, args)
	return code, out.String(), errOut.String()
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := run(t, nil, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"backup", "version", "kumo <command>"} {
		if !strings.Contains(out, want) {
			t.Errorf("help does not mention %q:\n%s", want, out)
		}
	}
}

func TestBackupOnceToApache(t *testing.T) {
	srv := testenv.StartApache(t)
	src := filepath.Join(t.TempDir(), "Pictures")
	testenv.WriteTree(t, src, testenv.TreeSpec{Files: 120, MaxSize: 4 << 10, Seed: 7, MaxDepth: 3})

	code, out, errOut := run(t, map[string]string{"KUMO_PASSWORD": srv.Password},
		"backup", "--once", "--url", srv.URL, "--user", srv.User, "--device", "desk",
		"--ca-file", srv.Certs.CAFile, src)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "Backed up 120 files") {
		t.Errorf("summary should count the files: %s", out)
	}
	if strings.Contains(out+errOut, srv.Password) {
		t.Error("the password appears in the command's output")
	}
	testenv.AssertSameTree(t, src, filepath.Join(srv.DataDir, "desk", "Pictures"))
}

func TestBackupUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no password", nil, []string{"backup", "--once", "--url", "https://example.com/dav/", "--user", "u", dir}, 2, "KUMO_PASSWORD"},
		{"no once", map[string]string{"KUMO_PASSWORD": "x"}, []string{"backup", "--url", "https://example.com/dav/", "--user", "u", dir}, 2, "--once"},
		{"plain http", map[string]string{"KUMO_PASSWORD": "x"}, []string{"backup", "--once", "--url", "http://example.com/dav/", "--user", "u", dir}, 1, "unencrypted"},
		{"no folder", map[string]string{"KUMO_PASSWORD": "x"}, []string{"backup", "--once", "--url", "https://example.com/dav/", "--user", "u"}, 2, "Usage"},
		{"unknown command", nil, []string{"frobnicate"}, 2, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, c.env, c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, c.code, c.want)
			}
		})
	}
}
