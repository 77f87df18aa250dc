package crypt

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

func sealed(t *testing.T, k *Key, plain []byte) []byte {
	t.Helper()
	r, err := k.Encrypt(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

func opened(k *Key, enc []byte) ([]byte, error) {
	r, err := k.Decrypt(bytes.NewReader(enc))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// Every size around the 64 KiB block reads back as written, and the sizes
// on the server are the ones EncryptedSize and PlainSize say.
func TestRoundTripAndSizes(t *testing.T) {
	k, err := DeriveKey("correct horse battery staple", "kumo salt")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, blockData - 1, blockData, blockData + 1, 3*blockData + 17} {
		plain := make([]byte, n)
		rand.Read(plain)
		enc := sealed(t, k, plain)
		if int64(len(enc)) != EncryptedSize(int64(n)) {
			t.Errorf("%d bytes encrypted to %d, EncryptedSize says %d", n, len(enc), EncryptedSize(int64(n)))
		}
		if p, err := PlainSize(int64(len(enc))); err != nil || p != int64(n) {
			t.Errorf("PlainSize(%d) = %d, %v; want %d", len(enc), p, err, n)
		}
		got, err := opened(k, enc)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%d bytes did not read back (%v)", n, err)
		}
		// 32 random bytes turn up in the ciphertext by chance with odds of about 2^-256 (one byte would often).
		if n >= 32 && bytes.Contains(enc, plain[:32]) {
			t.Errorf("%d bytes: the plain content shows in the encrypted bytes", n)
		}
		if again := sealed(t, k, plain); bytes.Equal(again, enc) {
			t.Errorf("%d bytes encrypted twice gave the same bytes: the nonce is not fresh", n)
		}
	}
}

// A wrong passphrase, a flipped bit, a cut-short file and a plain file each
// fail with their own error, before any of the content is returned.
func TestRefusesWhatItCannotOpen(t *testing.T) {
	right, _ := DeriveKey("right", "")
	wrong, _ := DeriveKey("wrong", "")
	plain := bytes.Repeat([]byte("private "), 20000)
	enc := sealed(t, right, plain)
	if _, err := opened(wrong, enc); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("a wrong passphrase gave %v", err)
	}
	flipped := bytes.Clone(enc)
	flipped[len(flipped)-100] ^= 1
	r, _ := right.Decrypt(bytes.NewReader(flipped))
	got, err := io.ReadAll(r)
	if !errors.Is(err, ErrWrongPassphrase) || len(got) != 2*blockData {
		t.Errorf("a flipped bit in the last block gave %v after %d bytes (want the two good blocks, then the error)", err, len(got))
	}
	if _, err := opened(right, enc[:len(enc)-10]); err == nil {
		t.Error("a file cut short inside its last block opened")
	}
	if _, err := opened(right, enc[:headerSize+blockTag]); !errors.Is(err, ErrTruncated) {
		t.Errorf("a block of only its tag gave %v", err)
	}
	if _, err := opened(right, enc[:10]); !errors.Is(err, ErrTruncated) {
		t.Errorf("a cut header gave %v", err)
	}
	if _, err := opened(right, plain); !errors.Is(err, ErrNotEncrypted) {
		t.Errorf("a plain file gave %v", err)
	}
	if _, err := PlainSize(int64(headerSize + 5)); !errors.Is(err, ErrTruncated) {
		t.Errorf("an impossible size gave %v", err)
	}
}

// The nonce counts up as a little-endian number, carrying, as rclone's does.
func TestNonceIncrement(t *testing.T) {
	var n [nonceSize]byte
	n[0], n[1] = 0xff, 0xff
	increment(&n)
	if n[0] != 0 || n[1] != 0 || n[2] != 1 {
		t.Errorf("0xffff+1 = % x", n[:3])
	}
}

// The keyed hash differs from a plain SHA-256 and between passphrases.
func TestKeyedHash(t *testing.T) {
	a, _ := DeriveKey("one", "s")
	b, _ := DeriveKey("two", "s")
	ha, hb := a.Hash(), b.Hash()
	ha.Write([]byte("same content"))
	hb.Write([]byte("same content"))
	if bytes.Equal(ha.Sum(nil), hb.Sum(nil)) {
		t.Error("two passphrases hash the same content alike")
	}
	if _, err := DeriveKey("", "s"); err == nil {
		t.Error("an empty passphrase derived a key")
	}
}

// Whatever a server hands back, reading it never panics, and what reads
// without an error is exactly what was sealed.
func FuzzDecrypt(f *testing.F) {
	k, _ := DeriveKey("fuzz", "")
	for _, n := range []int{0, 5, blockData + 3} {
		r, _ := k.Encrypt(bytes.NewReader(make([]byte, n)))
		enc, _ := io.ReadAll(r)
		f.Add(enc)
	}
	f.Add([]byte("RCLONE\x00\x00short"))
	f.Fuzz(func(t *testing.T, enc []byte) {
		got, err := opened(k, enc)
		if err != nil {
			return
		}
		if size, serr := PlainSize(int64(len(enc))); serr != nil || size != int64(len(got)) {
			t.Fatalf("%d bytes opened to %d, PlainSize says %d (%v)", len(enc), len(got), size, serr)
		}
	})
}

// A marker from the server: any bytes are read without a panic, and what
// is accepted is written back as the same marker.
func FuzzParseMarker(f *testing.F) {
	m, _, err := NewMarker("fuzz passphrase")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(m.JSON())
	f.Add([]byte(`{"format":"rclone-crypt","filename_encryption":"standard"}`))
	f.Add([]byte(`{"format":"rclone-crypt","filename_encryption":"off","salt":"","check":"!!"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseMarker(raw)
		if err != nil {
			return
		}
		again, err := ParseMarker(m.JSON())
		if err != nil || again != m {
			t.Fatalf("a marker read back differs: %+v, %v", again, err)
		}
	})
}
