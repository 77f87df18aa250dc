package account_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/testenv"
)

func TestMain(m *testing.M) { testenv.SecretServiceMain(m) }

// A secret saved through go-keyring lands in the real Secret Service (seen
// by secret-tool, a separate client), reads back, is in no file in clear,
// and is gone after delete.
func TestSecretRoundTripThroughGnomeKeyring(t *testing.T) {
	home := testenv.KeyringHome(t)
	secretTool := testenv.Require(t, "secret-tool")
	const who = "kumo-user@127.0.0.1"
	secret := "apps-pw-" + strings.Repeat("Zq9", 6)

	if err := account.SaveSecret(who, secret); err != nil {
		t.Fatal(err)
	}
	got, err := account.LoadSecret(who)
	if err != nil || got != secret {
		t.Fatalf("LoadSecret = %q, %v; want the saved secret", got, err)
	}
	out, err := exec.Command(secretTool, "lookup", "service", "io.kumobackup.kumo", "username", who).Output()
	if err != nil || string(out) != secret {
		t.Fatalf("secret-tool does not see the secret in the Secret Service: %q, %v", out, err)
	}
	filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
				t.Errorf("the secret is stored in clear in %s", p)
			}
		}
		return nil
	})

	if err := account.DeleteSecret(who); err != nil {
		t.Fatal(err)
	}
	if _, err := account.LoadSecret(who); !errors.Is(err, account.ErrNoSecret) {
		t.Fatalf("after delete, LoadSecret = %v; want ErrNoSecret", err)
	}
	if err := account.DeleteSecret(who); err != nil {
		t.Fatalf("deleting an absent secret should succeed: %v", err)
	}
}

// Without a session bus Kumo says so at once, instead of autolaunching a
// stray D-Bus daemon or hanging.
func TestNoSessionBusIsAClearError(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	_, err := account.LoadSecret("anyone")
	if !errors.Is(err, account.ErrNoKeyring) {
		t.Fatalf("want ErrNoKeyring, got %v", err)
	}
	if !strings.Contains(err.Error(), "KUMO_PASSWORD") {
		t.Errorf("the message should name the server alternative: %v", err)
	}
}
