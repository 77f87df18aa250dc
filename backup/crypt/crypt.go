// Package crypt writes and reads file contents in rclone's crypt format,
// so that an encrypted folder on the server can be opened without Kumo by
// rclone's crypt remote configured with the same passphrase and salt
// (filename_encryption = off: names stay readable, with a ".bin" suffix).
//
// The format (rclone's docs, "File encryption"): an 8-byte magic
// "RCLONE\x00\x00", a random 24-byte nonce, then the content in blocks of
// 64 KiB, each sealed with NaCl secretbox (XSalsa20-Poly1305) under the
// data key and the nonce, which is incremented (little-endian) for each
// block. The keys come from the passphrase with scrypt (N=16384, r=8, p=1)
// and the salt, or rclone's fixed salt when there is none.
package crypt

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime/debug"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

const (
	magic      = "RCLONE\x00\x00"
	nonceSize  = 24
	headerSize = len(magic) + nonceSize
	blockData  = 64 << 10
	blockTag   = secretbox.Overhead
	blockSize  = blockData + blockTag
	// Suffix is what rclone's crypt adds to a file's name when names are not encrypted.
	Suffix = ".bin"
)

// defaultSalt is rclone's, used when the salt (rclone's password2) is empty.
var defaultSalt = []byte{0xA8, 0x0D, 0xF4, 0x3A, 0x8F, 0xBD, 0x03, 0x08, 0xA7, 0xCA, 0xB8, 0x3E, 0x58, 0x1F, 0x86, 0xB1}

var (
	// ErrWrongPassphrase: a block did not open with the key. With a
	// passphrase that opened other files of the folder, the file is damaged.
	ErrWrongPassphrase = errors.New("the passphrase does not open this file (a wrong passphrase, or a damaged file)")
	// ErrNotEncrypted: the file does not start as rclone's crypt format does.
	ErrNotEncrypted = errors.New("this file is not in rclone's crypt format")
	// ErrTruncated: the file ends inside its header or a block's tag.
	ErrTruncated = errors.New("the encrypted file is cut short")
)

// Damaged reports whether err means an encrypted file is not what was
// written (cut short, not encrypted, or a block that does not open with a
// key that opened the folder's marker): a damaged copy, not a failure to
// read it.
func Damaged(err error) bool {
	return errors.Is(err, ErrTruncated) || errors.Is(err, ErrNotEncrypted) || errors.Is(err, ErrWrongPassphrase)
}

// Key is what a passphrase and a salt derive: the content key, and a key
// for the hashes the server is told. It is never written anywhere.
type Key struct {
	data [32]byte
	hash [32]byte
}

// DeriveKey derives the folder's keys exactly as rclone does from its
// password and password2 (the salt; "" for rclone's default).
func DeriveKey(passphrase, salt string) (*Key, error) {
	if passphrase == "" {
		return nil, errors.New("an encrypted folder needs a passphrase")
	}
	s := defaultSalt
	if salt != "" {
		s = []byte(salt)
	}
	// 32 bytes of data key, 32 of name key, 16 of name tweak: rclone's layout.
	raw, err := scrypt.Key([]byte(passphrase), s, 16384, 8, 1, 80)
	if err != nil {
		return nil, fmt.Errorf("deriving the key: %w", err)
	}
	// scrypt's 16 MiB would otherwise stay resident through the backup.
	debug.FreeOSMemory()
	k := &Key{}
	copy(k.data[:], raw[:32])
	// Names are not encrypted, so rclone's name key is free for the keyed
	// content hash; mixed with a label so it never doubles as a cipher key.
	h := hmac.New(sha256.New, raw[32:64])
	h.Write([]byte("kumo content hash v1"))
	copy(k.hash[:], h.Sum(nil))
	return k, nil
}

// Hash is the keyed hash of a file's plain content that Kumo records for an
// encrypted folder: HMAC-SHA256, so the server cannot tell whether a file it
// knows is there.
func (k *Key) Hash() hash.Hash { return hmac.New(sha256.New, k.hash[:]) }

// EncryptedSize is the size on the server of plain bytes of content.
func EncryptedSize(plain int64) int64 {
	blocks := plain / blockData
	if plain%blockData != 0 {
		blocks++
	}
	return int64(headerSize) + plain + blocks*blockTag
}

// PlainSize is the content size of an encrypted file of enc bytes.
func PlainSize(enc int64) (int64, error) {
	body := enc - int64(headerSize)
	if body < 0 {
		return 0, ErrTruncated
	}
	full, rest := body/blockSize, body%blockSize
	if rest != 0 && rest <= blockTag {
		return 0, ErrTruncated
	}
	plain := full * blockData
	if rest != 0 {
		plain += rest - blockTag
	}
	return plain, nil
}

// Encrypt returns a reader of plain's content encrypted, with a fresh
// random nonce: each call gives different bytes for the same content.
func (k *Key) Encrypt(plain io.Reader) (io.Reader, error) {
	var nonce [nonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	return k.encryptWith(plain, nonce), nil
}

// Decrypt returns a reader of enc's plain content. It reads the header now;
// each block is authenticated before a byte of it is returned.
func (k *Key) Decrypt(enc io.Reader) (io.Reader, error) {
	var head [headerSize]byte
	if _, err := io.ReadFull(enc, head[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, ErrTruncated
		}
		return nil, err
	}
	if !bytes.Equal(head[:len(magic)], []byte(magic)) {
		return nil, ErrNotEncrypted
	}
	d := &decrypter{key: k, src: enc, in: make([]byte, blockSize)}
	copy(d.nonce[:], head[len(magic):])
	return d, nil
}

type decrypter struct {
	key   *Key
	src   io.Reader
	nonce [nonceSize]byte
	in    []byte
	out   []byte
	pos   int
	err   error
}

func (d *decrypter) Read(p []byte) (int, error) {
	for d.pos == len(d.out) {
		if d.err != nil {
			return 0, d.err
		}
		n, err := io.ReadFull(d.src, d.in)
		switch {
		case err == io.EOF:
			d.err = io.EOF
			continue
		case err == io.ErrUnexpectedEOF:
			d.err = io.EOF // the last, shorter block
		case err != nil:
			d.err = err
			return 0, err
		}
		if n <= blockTag {
			d.err = ErrTruncated
			return 0, d.err
		}
		out, ok := secretbox.Open(d.out[:0], d.in[:n], &d.nonce, &d.key.data)
		if !ok {
			d.err = ErrWrongPassphrase
			return 0, d.err
		}
		increment(&d.nonce)
		d.out, d.pos = out, 0
	}
	n := copy(p, d.out[d.pos:])
	d.pos += n
	return n, nil
}

// increment adds one to the nonce as a little-endian number, as rclone does.
func increment(n *[nonceSize]byte) {
	for i := range n {
		n[i]++
		if n[i] != 0 {
			return
		}
	}
}
