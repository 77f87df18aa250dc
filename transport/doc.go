// Package transport is everything Kumo knows about talking HTTP to a WebDAV
// service, and nothing else: TLS policy, authentication, retries, pacing,
// error classes and secret redaction. It imports no other Kumo package.
//
// Rules it holds every request to (from the service's authentication pages):
//   - TLS 1.2 or later; certificate checks are never off. A private CA pool
//     (self-hosted servers, the emulator) and a certificate pin (SHA-256 of
//     the leaf, checked on top of normal verification) can be supplied.
//   - Plain http:// only to loopback: BASIC over cleartext gives the password away.
//   - BASIC, preemptive by default; with ChallengeAuth, credentials follow a
//     401 that offers Basic. Uploads are always preemptive, so their bodies
//     are sent once. A 401 that offers only Digest is ErrDigestOnly: the
//     service never uses Digest, so the address is wrong.
//   - The REST API key (32 uppercase hex characters, checked before use) by
//     the X-InfiniCLOUD-API-KEY header, the legacy X-TeraCLOUD-API-KEY, or the
//     ;api_key= matrix parameter on the last path segment.
//   - Signed requests (api_key, ts, nonce, sig): see Signer for the base string.
//   - Credentials, API keys and signatures are added per request only for the
//     configured origin (scheme, host, port) and stripped from any other, so a
//     redirect never carries them elsewhere; https→http redirects are refused.
//   - Retries with exponential backoff and jitter: idempotent requests on
//     connection failures and 423/425/429/500/502/503/504/509; any request
//     when the connection never opened, or on 429/503 (not processed), with
//     Retry-After honoured. A non-idempotent request whose outcome is unknown
//     is never repeated. Bodies are replayed through GetBody (uploads reopen
//     their file).
//   - How many uploads run at once is the Pacer's: a fixed number the user
//     chose, or 4 growing by half up to 16 while more in flight raises the
//     rate files complete at, halved at once on pushback (429, 503, a reset)
//     and held lower for a minute; large files stay at most 4. A retry that
//     met pushback gives its slot back while it waits. Every change is a
//     debug log line ("pacing") with its reason.
//   - Upload and download caps in bytes per second, changeable while running.
//   - Logs pass through a Redactor: passwords, API keys, signatures and
//     Authorization values never reach a log line.
//
// Uploads are one PUT per file with Content-Length, through the same
// connection pool as gowebdav's PROPFIND/MKCOL/MOVE/COPY; response bodies are
// drained before closing so keep-alive connections are reused.
package transport
