// Package certs makes self-signed TLS certificates for loopback servers:
// the emulator and the test fixtures.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"time"
)

// Cert is a self-signed certificate that is its own trust anchor: a client
// trusts exactly it by adding CertPEM to its pool (or SSL_CERT_FILE).
type Cert struct {
	CertPEM, KeyPEM []byte
	TLS             tls.Certificate
	Leaf            *x509.Certificate
}

// SelfSigned makes a certificate for localhost, 127.0.0.1 and ::1, valid
// from an hour ago for the given duration.
func SelfSigned(name string, valid time.Duration) (*Cert, error) {
	now := time.Now()
	return SelfSignedFor(name, []string{"localhost", "127.0.0.1", "::1"}, now.Add(-time.Hour), now.Add(valid))
}

// SelfSignedFor makes a certificate for the given DNS names and IP
// addresses, valid between notBefore and notAfter (tests use it for expired
// and wrong-host certificates).
func SelfSignedFor(name string, hosts []string, notBefore, notAfter time.Time) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true, // its own anchor, for tools that insist on a CA in their store
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	c := &Cert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	if c.TLS, err = tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		return nil, err
	}
	c.Leaf, err = x509.ParseCertificate(der)
	return c, err
}

// Pool returns a pool that trusts exactly this certificate.
func (c *Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Leaf)
	return p
}

// Fingerprint is the certificate's SHA-256 as colon-separated hex pairs.
func (c *Cert) Fingerprint() string { return Fingerprint(c.Leaf) }

// Fingerprint formats a certificate's SHA-256 as colon-separated hex pairs.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	pairs := make([]string, 0, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return strings.Join(pairs, ":")
}

// FromPEM loads a certificate and its key.
func FromPEM(certPEM, keyPEM []byte) (*Cert, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	return &Cert{CertPEM: certPEM, KeyPEM: keyPEM, TLS: pair, Leaf: leaf}, nil
}
