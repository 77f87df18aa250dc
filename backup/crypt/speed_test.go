package crypt_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/kumo-backup/kumo/backup/crypt"
)

func BenchmarkEncrypt(b *testing.B) {
	key, _ := crypt.DeriveKey("bench passphrase", "salt")
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, _ := key.Encrypt(bytes.NewReader(data))
		io.Copy(io.Discard, r)
	}
}

func BenchmarkSHA256(b *testing.B) {
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		h := sha256.New()
		h.Write(data)
	}
}

func BenchmarkHMAC(b *testing.B) {
	key, _ := crypt.DeriveKey("bench passphrase", "salt")
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		h := key.Hash()
		h.Write(data)
	}
}

// The consumer hashing what it reads stands for TLS and the socket.
func BenchmarkEncryptThenHash(b *testing.B) {
	key, _ := crypt.DeriveKey("bench passphrase", "salt")
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, _ := key.Encrypt(bytes.NewReader(data))
		h := sha256.New()
		buf := make([]byte, 32<<10)
		io.CopyBuffer(h, r, buf)
	}
}
