package account

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// PasswordEnv is the environment variable a server may give the password
// in when no keyring is available.
const PasswordEnv = "KUMO_PASSWORD"

// APIKeyEnv gives a REST API key of the user's own without the keyring.
const APIKeyEnv = "KUMO_API_KEY"

// Secrets are an account's credentials, wherever they came from.
type Secrets struct {
	Password string
	APIKey   string // empty when the account has none
	Source   string // "keyring", "environment" or the password file's path
}

// SecretSource says where to look for an account's secrets besides the
// keyring: the documented alternatives for servers without one.
type SecretSource struct {
	Getenv       func(string) string
	PasswordFile string // a file readable by its owner only
}

// LoadSecrets finds the password: a password file if named, else the
// environment, else the keyring. The API key always comes from the keyring.
func LoadSecrets(a Account, src SecretSource) (Secrets, error) {
	s := Secrets{}
	switch {
	case src.PasswordFile != "":
		pw, err := ReadPasswordFile(src.PasswordFile)
		if err != nil {
			return s, err
		}
		s.Password, s.Source = pw, src.PasswordFile
	case src.Getenv != nil && src.Getenv(PasswordEnv) != "":
		s.Password, s.Source = src.Getenv(PasswordEnv), "environment"
	default:
		pw, err := LoadSecret(a.KeyringID())
		if err != nil {
			if errors.Is(err, ErrNoSecret) {
				return s, fmt.Errorf("no password is stored for %s: sign in again with `kumo login`", a.KeyringID())
			}
			return s, err
		}
		s.Password, s.Source = pw, "keyring"
	}
	// The key is optional (storage figures): one that cannot be read is
	// done without rather than a reason not to back up.
	switch {
	case src.Getenv != nil && src.Getenv(APIKeyEnv) != "":
		s.APIKey = strings.TrimSpace(src.Getenv(APIKeyEnv))
	case a.HasAPIKey:
		s.APIKey, _ = LoadSecret(a.apiKeyID())
	}
	return s, nil
}

// SaveSecrets stores the password (and API key, if any) in the keyring.
func SaveSecrets(a Account, s Secrets) error {
	if err := SaveSecret(a.KeyringID(), s.Password); err != nil {
		return err
	}
	if s.APIKey != "" {
		return SaveSecret(a.apiKeyID(), s.APIKey)
	}
	return DeleteSecret(a.apiKeyID())
}

// DeleteSecrets removes every keyring entry of the account.
func DeleteSecrets(a Account) error {
	if err := DeleteSecret(a.KeyringID()); err != nil {
		return err
	}
	return DeleteSecret(a.apiKeyID())
}

// ReadPasswordFile reads a password from a file only its owner can read,
// so that a password on disk is at least not open to other users.
func ReadPasswordFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the password file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("the password file %s can be read by other users (mode %04o): run `chmod 600 %s` first", path, st.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read the password file: %w", err)
	}
	pw := strings.TrimRight(string(raw), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("the password file %s is empty", path)
	}
	return pw, nil
}
