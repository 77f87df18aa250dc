package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/internal/certs"
)

// Files the emulator keeps in its data folder beside the users' folders.
const (
	CertFile = "emulator-cert.pem"
	keyFile  = "emulator-key.pem"
)

// LoadOrCreateCert reuses the certificate stored in dataDir, so clients that
// trust or pin it keep working across runs, or makes and stores a new one.
func LoadOrCreateCert(dataDir string) (*certs.Cert, error) {
	certPath, keyPath := filepath.Join(dataDir, CertFile), filepath.Join(dataDir, keyFile)
	certPEM, err1 := os.ReadFile(certPath)
	keyPEM, err2 := os.ReadFile(keyPath)
	if err1 == nil && err2 == nil {
		if c, err := certs.FromPEM(certPEM, keyPEM); err == nil && time.Now().Before(c.Leaf.NotAfter.Add(-24*time.Hour)) {
			return c, nil
		}
	}
	c, err := certs.SelfSigned("Kumo InfiniCLOUD emulator", 2*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, c.KeyPEM, 0o600); err != nil {
		return nil, err
	}
	return c, os.WriteFile(certPath, c.CertPEM, 0o644)
}

// DemoAccount is an account for trying Kumo with no real one: apps
// connection on, a fresh random apps password, the free plan's quota.
func DemoAccount() Account {
	return Account{
		User:           "demo",
		Password:       randomSecret(),
		AppsPassword:   randomSecret(),
		AppsConnection: true,
		Registered:     time.Now(),
	}
}

// DemoAPIKey returns a random registered API key and its signing secret.
func DemoAPIKey() (key, secret string) {
	return strings.ToUpper(randomSecret()[:32]), randomSecret()
}

func randomSecret() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("no randomness: %v", err))
	}
	return hex.EncodeToString(b)
}
