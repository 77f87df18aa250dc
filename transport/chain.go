package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// IncompleteChainError is a server that sent its certificate without the
// intermediate that links it to a trusted authority, when the intermediate
// could not be fetched from the address the certificate names (AIA).
type IncompleteChainError struct {
	Host, URL string
	Err       error
}

func (e *IncompleteChainError) Error() string {
	if e.URL == "" {
		return fmt.Sprintf("%s sent an incomplete certificate chain and names no address for the missing intermediate certificate", e.Host)
	}
	return fmt.Sprintf("%s sent an incomplete certificate chain, and its intermediate certificate could not be fetched from %s: %v", e.Host, e.URL, e.Err)
}

func (e *IncompleteChainError) Unwrap() error { return e.Err }

// chainVerifier verifies a server's chain as crypto/tls would, except that
// a chain missing its intermediate is completed once from the leaf's
// Authority Information Access URL (as browsers do; some of the service's
// nodes are reported to send only their leaf). The fetched certificate
// only helps build a chain to the trusted roots: it is trusted no more
// than the server's own intermediates are.
type chainVerifier struct {
	roots *x509.CertPool // nil: the system's
	fetch func(ctx context.Context, url string) (*x509.Certificate, error)
}

// fetchedIntermediates caches what was fetched, by URL, for the process.
var fetchedIntermediates sync.Map

func (v *chainVerifier) verify(cs tls.ConnectionState, host string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{DNSName: host, Roots: v.roots, Intermediates: inter}
	_, err := leaf.Verify(opts)
	var unknown x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &unknown) || len(leaf.IssuingCertificateURL) == 0 {
		return err // a certificate that names no issuer's address is untrusted, not incomplete
	}
	var last error
	for _, u := range leaf.IssuingCertificateURL {
		c, ferr := v.intermediate(u)
		if ferr != nil {
			last = &IncompleteChainError{Host: host, URL: u, Err: ferr}
			continue
		}
		inter.AddCert(c)
		if _, err = leaf.Verify(opts); err == nil {
			return nil
		}
		last = err
	}
	return last
}

func (v *chainVerifier) intermediate(url string) (*x509.Certificate, error) {
	if c, ok := fetchedIntermediates.Load(url); ok {
		return c.(*x509.Certificate), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := v.fetch(ctx, url)
	if err != nil {
		return nil, err
	}
	fetchedIntermediates.Store(url, c)
	return c, nil
}

// aiaFetcher downloads an intermediate certificate (DER or PEM, at most
// 64 KiB) with the client's dialer and no credentials.
func aiaFetcher(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(context.Context, string) (*x509.Certificate, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: dial, Proxy: http.ProxyFromEnvironment,
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}}
	return func(ctx context.Context, url string) (*x509.Certificate, error) {
		if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			return nil, fmt.Errorf("not a web address: %q", url)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("answered %d", resp.StatusCode)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil {
			return nil, err
		}
		if b, _ := pem.Decode(raw); b != nil {
			raw = b.Bytes
		}
		return x509.ParseCertificate(raw)
	}
}
