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

// Chain is a three-level chain for tests of chain building: a root, an
// intermediate and a leaf that names where its issuer can be fetched.
type Chain struct {
	Root         *x509.Certificate
	Intermediate *x509.Certificate
	Leaf         tls.Certificate // the leaf alone, as a server that forgets its intermediate sends it
}

// NewChain makes a root, an intermediate it signs and a leaf for hosts
// signed by the intermediate, with aiaURL as the leaf's issuer address.
func NewChain(hosts []string, aiaURL string) (*Chain, error) {
	now := time.Now()
	newKey := func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }
	sign := func(tmpl, parent *x509.Certificate, pub, priv any) (*x509.Certificate, error) {
		serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
		if err != nil {
			return nil, err
		}
		tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = serial, now.Add(-time.Hour), now.Add(24*time.Hour)
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
		if err != nil {
			return nil, err
		}
		return x509.ParseCertificate(der)
	}
	rootKey, err := newKey()
	if err != nil {
		return nil, err
	}
	ca := x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	root, err := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "Kumo test root"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: ca},
		nil, &rootKey.PublicKey, rootKey)
	if err != nil {
		return nil, err
	}
	interKey, err := newKey()
	if err != nil {
		return nil, err
	}
	inter, err := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "Kumo test intermediate"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: ca},
		root, &interKey.PublicKey, rootKey)
	if err != nil {
		return nil, err
	}
	leafKey, err := newKey()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: hosts[0]}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IssuingCertificateURL: []string{aiaURL}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	leaf, err := sign(tmpl, inter, &leafKey.PublicKey, interKey)
	if err != nil {
		return nil, err
	}
	return &Chain{Root: root, Intermediate: inter, Leaf: tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: leafKey, Leaf: leaf}}, nil
}
