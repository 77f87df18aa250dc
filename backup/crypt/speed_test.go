package crypt_test

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
	"testing"

	"github.com/kumo-backup/kumo/backup/crypt"
)

// benchBytes runs f over 64 MiB of zeros with the bench key.
func benchBytes(b *testing.B, f func(key *crypt.Key, data []byte)) {
	key, err := crypt.DeriveKey("bench passphrase", "salt")
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f(key, data)
	}
}

func encryptInto(w io.Writer, key *crypt.Key, data []byte) {
	r, _ := key.Encrypt(bytes.NewReader(data))
	io.CopyBuffer(w, r, make([]byte, 32<<10))
}

func BenchmarkEncrypt(b *testing.B) {
	benchBytes(b, func(key *crypt.Key, data []byte) { encryptInto(io.Discard, key, data) })
}

// The consumer hashing what it reads stands for TLS and the socket.
func BenchmarkEncryptThenHash(b *testing.B) {
	benchBytes(b, func(key *crypt.Key, data []byte) { encryptInto(sha256.New(), key, data) })
}

func BenchmarkSHA256(b *testing.B) {
	benchBytes(b, func(_ *crypt.Key, data []byte) { sum(sha256.New(), data) })
}

func BenchmarkHMAC(b *testing.B) {
	benchBytes(b, func(key *crypt.Key, data []byte) { sum(key.Hash(), data) })
}

func sum(h hash.Hash, data []byte) { h.Write(data); h.Sum(nil) }
