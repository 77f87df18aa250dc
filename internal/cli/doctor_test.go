package cli_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// `kumo login` with only the Connection ID: the API server names the node.
// Then `kumo doctor` records what that server does, and what Apache does,
// naming each behaviour and carrying no secret.
func TestLoginFindsTheNodeAndDoctorReports(t *testing.T) {
	config, cache := isolate(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // no keyring: the password comes from KUMO_PASSWORD
	e := testenv.StartEmulator(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, e.Cert.CertPEM, 0o644)
	env := map[string]string{"KUMO_PASSWORD": e.AppsPassword, "KUMO_API_KEY": e.APIKey}
	code, out, errOut := run(t, env, "login", "--user", e.User, "--api-url", e.APIURL, "--ca-file", caFile, "--device", "desk")
	if code != 0 || !strings.Contains(out, "InfiniCLOUD says your data is on") || !strings.Contains(out, e.DAVURL("dav")) {
		t.Fatalf("login without --url: exit %d\n%s%s", code, out, errOut)
	}
	cfg, _ := os.ReadFile(filepath.Join(config, "kumo", "config.json"))
	if !strings.Contains(string(cfg), e.DAVURL("backup")) {
		t.Fatalf("the account's URL should be the found node's backup area:\n%s", cfg)
	}

	secrets := []string{e.AppsPassword, e.APIKey, e.LoginPassword, base64.StdEncoding.EncodeToString([]byte(e.User + ":" + e.AppsPassword))}
	report := func(who string, env map[string]string, args ...string) string {
		t.Helper()
		file := filepath.Join(t.TempDir(), who+".txt")
		code, out, errOut := run(t, env, append([]string{"doctor", "--out", file}, args...)...)
		if code != 0 {
			t.Fatalf("doctor against %s: exit %d\n%s%s", who, code, out, errOut)
		}
		saved, err := os.ReadFile(file)
		if err != nil || !strings.Contains(out, string(saved)) {
			t.Fatalf("the saved report should be what was printed: %v", err)
		}
		for _, s := range secrets {
			if strings.Contains(out+errOut, s) {
				t.Errorf("the %s report carries a secret", who)
			}
		}
		for _, behaviour := range []string{"DAV class", "RFC 4331 quota properties", "collection without slash", "ETag", "REST API", "TLS chain", "round trip", "network and power"} {
			if !strings.Contains(out, behaviour) {
				t.Errorf("the %s report does not say %q:\n%s", who, behaviour, out)
			}
		}
		return out
	}
	emu := report("emulator", env, "--api-url", e.APIURL)
	for _, want := range []string{"DAV class:", "1, 2", "not offered", "301 to the same path with a slash", "ETag weak", "fields: api_key, capacity", "webdav_url", "of 21474836480 bytes", "certificates sent, complete"} {
		if !strings.Contains(emu, want) {
			t.Errorf("the emulator's report should say %q:\n%s", want, emu)
		}
	}
	if strings.Contains(emu, e.User) {
		t.Errorf("the report names the user:\n%s", emu)
	}

	srv := testenv.StartApache(t, testenv.ModDir())
	secrets = append(secrets, srv.Password)
	apache := report("apache", map[string]string{"KUMO_PASSWORD": srv.Password},
		"--url", srv.URL, "--user", srv.User, "--ca-file", srv.Certs.CAFile, "--device", "desk")
	for _, want := range []string{"Apache", "REST API:", "not asked (not InfiniCLOUD)", "301 to the same path with a slash"} {
		if !strings.Contains(apache, want) {
			t.Errorf("Apache's report should say %q:\n%s", want, apache)
		}
	}
	if strings.Contains(apache, srv.Password) {
		t.Error("Apache's report carries its password")
	}
	_ = cache
}
