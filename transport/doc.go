// Package transport is everything Kumo knows about talking HTTP to a WebDAV
// service, and nothing else: TLS policy, authentication, connection pooling,
// error classes. It imports no other Kumo package.
//
// Rules it holds callers to:
//   - TLS 1.2 or later on every connection; certificate checks are never off.
//     A private CA pool can be supplied for self-hosted servers and tests.
//   - Plain http:// only to loopback: BASIC over cleartext gives the
//     password away.
//   - BASIC credentials are sent preemptively. Uploads in particular must not
//     wait for a 401 challenge, which would force the body to be buffered.
//   - Uploads are one PUT per file with Content-Length, through the same
//     connection pool as gowebdav's PROPFIND/MKCOL/MOVE/COPY; response bodies
//     are drained before closing so keep-alive connections are reused.
package transport
