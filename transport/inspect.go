package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Exchange is one request's answer as the server gave it, for kumo
// doctor: no retry, no redirect followed, the body's first bytes only.
type Exchange struct {
	Status  int
	Header  http.Header
	Proto   string
	Body    []byte // at most 64 KiB
	Elapsed time.Duration
}

// Do sends one request to remotePath exactly as given (a path without a
// trailing slash stays without one) with the client's credentials.
func (c *Client) Do(ctx context.Context, method, remotePath string, h http.Header, body string) (*Exchange, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + "/" + strings.TrimPrefix(remotePath, "/")
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := c.raw.Do(req)
	if err != nil {
		return nil, c.netError(method, remotePath, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return &Exchange{Status: resp.StatusCode, Header: resp.Header, Proto: resp.Proto, Body: b, Elapsed: time.Since(start)}, nil
}

// Chain is what a server's TLS handshake showed.
type Chain struct {
	Version    uint16
	Sent       int  // certificates the server sent
	Complete   bool // they lead to a trusted root on their own
	AIA        []string
	Fetched    bool // an intermediate fetched from AIA completed it
	NotAfter   time.Time
	VerifyErr  error // why the chain is not trusted, after any completion
	Subject    string
	Issuer     string
	ServerHost string
}

// InspectTLS looks at the server's certificate chain: how many
// certificates it sends, whether they suffice, whether the AIA address
// completes them.
func (c *Client) InspectTLS(ctx context.Context) (*Chain, error) {
	if c.base.Scheme != "https" {
		return nil, errors.New("not an https:// address")
	}
	host, port := c.base.Hostname(), c.base.Port()
	if port == "" {
		port = "443"
	}
	raw, err := c.dial(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	tc := tls.Client(raw, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: true})
	hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return nil, err
	}
	cs := tc.ConnectionState()
	leaf := cs.PeerCertificates[0]
	ch := &Chain{Version: cs.Version, Sent: len(cs.PeerCertificates), AIA: leaf.IssuingCertificateURL, NotAfter: leaf.NotAfter,
		Subject: leaf.Subject.CommonName, Issuer: leaf.Issuer.CommonName, ServerHost: host}
	inter := x509.NewCertPool()
	for _, cert := range cs.PeerCertificates[1:] {
		inter.AddCert(cert)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: c.chain.roots, Intermediates: inter})
	ch.Complete = err == nil
	if !ch.Complete {
		ch.VerifyErr = c.chain.verify(cs, host)
		ch.Fetched = ch.VerifyErr == nil
	}
	return ch, nil
}
