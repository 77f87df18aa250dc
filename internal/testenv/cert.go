package testenv

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/internal/certs"
)

// Certs is a throwaway self-signed server certificate for localhost,
// 127.0.0.1 and ::1. Only clients given Pool (or CAFile) trust it.
type Certs struct {
	Pool     *x509.CertPool
	CAFile   string // PEM to trust, for tools that honour SSL_CERT_FILE
	CertFile string // the server's certificate (the same PEM as CAFile)
	KeyFile  string // the server's key
	Cert     *certs.Cert
}

// NewCerts writes a fresh certificate and key into dir.
func NewCerts(t testing.TB, dir string) *Certs {
	t.Helper()
	c, err := certs.SelfSigned("Kumo test server", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := &Certs{
		Pool:     c.Pool(),
		CAFile:   filepath.Join(dir, "server.pem"),
		CertFile: filepath.Join(dir, "server.pem"),
		KeyFile:  filepath.Join(dir, "server.key"),
		Cert:     c,
	}
	if err := os.WriteFile(out.CertFile, c.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out.KeyFile, c.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}
