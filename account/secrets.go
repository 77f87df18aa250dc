// Package account knows who the user is and where their data goes: server
// presets, device name, and the credentials, which live only in the OS keyring.
package account

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"
)

// keyringService is the name Kumo's entries carry in the OS keyring.
const keyringService = "io.kumobackup.kumo"

// keyringTimeout bounds every keyring call: a locked keyring may show a
// prompt nobody answers, and a missing one may hang on D-Bus activation.
const keyringTimeout = 10 * time.Second

// ErrNoSecret means the keyring holds no secret for this account.
var ErrNoSecret = errors.New("no password is stored for this account: sign in again")

// ErrNoKeyring means no OS keyring could be reached.
var ErrNoKeyring = errors.New("no system keyring is reachable: start a Secret Service " +
	"(gnome-keyring or KeePassXC) in your desktop session, or on a server give the password " +
	"in the KUMO_PASSWORD environment variable or in a file only you can read (--password-file)")

// SaveSecret stores secret for account (for example "user@host") in the keyring.
func SaveSecret(account, secret string) error {
	return withKeyring(func() error { return keyring.Set(keyringService, account, secret) })
}

// LoadSecret reads the secret stored for account.
func LoadSecret(account string) (string, error) {
	var secret string
	err := withKeyring(func() error {
		var err error
		secret, err = keyring.Get(keyringService, account)
		return err
	})
	return secret, err
}

// DeleteSecret removes the secret stored for account; none stored is fine.
func DeleteSecret(account string) error {
	err := withKeyring(func() error { return keyring.Delete(keyringService, account) })
	if errors.Is(err, ErrNoSecret) {
		return nil
	}
	return err
}

func withKeyring(call func() error) error {
	// Without a session bus, godbus would autolaunch one that outlives Kumo.
	if runtime.GOOS == "linux" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return ErrNoKeyring
	}
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		switch {
		case err == nil:
			return nil
		case errors.Is(err, keyring.ErrNotFound):
			return ErrNoSecret
		case errors.Is(err, keyring.ErrSetDataTooBig):
			return fmt.Errorf("the secret is too large for the system keyring: %w", err)
		}
		return fmt.Errorf("%w (%v)", ErrNoKeyring, err)
	case <-time.After(keyringTimeout):
		return fmt.Errorf("the system keyring did not answer within %s; unlock it and try again: %w", keyringTimeout, ErrNoKeyring)
	}
}
