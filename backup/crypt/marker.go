package crypt

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Marker is what the server keeps of an encrypted folder's key: the salt,
// so a fresh machine needs only the passphrase, and a known text sealed
// with the key, so a wrong passphrase is told apart before anything is
// read or written. It holds no key and nothing derived from the passphrase
// that is not also in every encrypted file.
type Marker struct {
	Format             string `json:"format"`              // MarkerFormat
	FilenameEncryption string `json:"filename_encryption"` // "off", as in rclone.conf
	Salt               string `json:"salt"`                // rclone's password2
	Check              string `json:"check"`               // checkText encrypted, base64
}

// MarkerFormat names the content format in a Marker.
const MarkerFormat = "rclone-crypt"

// checkText is what Check holds once decrypted.
const checkText = "kumo: this passphrase opens this folder"

// ErrPassphraseMismatch: the passphrase derives a key that does not open the marker.
var ErrPassphraseMismatch = errors.New("this passphrase does not open the folder")

// NewMarker makes a folder's marker with a fresh random salt, and its key.
func NewMarker(passphrase string) (Marker, *Key, error) {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return Marker{}, nil, err
	}
	salt := base64.RawURLEncoding.EncodeToString(raw)
	key, err := DeriveKey(passphrase, salt)
	if err != nil {
		return Marker{}, nil, err
	}
	enc, err := key.Encrypt(bytes.NewReader([]byte(checkText)))
	if err != nil {
		return Marker{}, nil, err
	}
	sealed, err := io.ReadAll(enc)
	if err != nil {
		return Marker{}, nil, err
	}
	return Marker{Format: MarkerFormat, FilenameEncryption: "off", Salt: salt,
		Check: base64.StdEncoding.EncodeToString(sealed)}, key, nil
}

// ParseMarker reads a marker as the server holds it.
func ParseMarker(raw []byte) (Marker, error) {
	var m Marker
	if err := json.Unmarshal(raw, &m); err != nil {
		return Marker{}, fmt.Errorf("the folder's encryption marker is damaged: %w", err)
	}
	if m.Format != MarkerFormat || m.FilenameEncryption != "off" {
		return Marker{}, fmt.Errorf("the folder is encrypted in a way this Kumo does not know (%q, names %q)", m.Format, m.FilenameEncryption)
	}
	return m, nil
}

// JSON is the marker as the server holds it.
func (m Marker) JSON() []byte {
	raw, _ := json.MarshalIndent(m, "", "  ")
	return append(raw, '\n')
}

// Open derives the folder's key from the passphrase and checks it;
// ErrPassphraseMismatch when it is not the folder's.
func (m Marker) Open(passphrase string) (*Key, error) {
	key, err := DeriveKey(passphrase, m.Salt)
	if err != nil {
		return nil, err
	}
	sealed, err := base64.StdEncoding.DecodeString(m.Check)
	if err != nil {
		return nil, fmt.Errorf("the folder's encryption marker is damaged: %w", err)
	}
	plain, err := key.Decrypt(bytes.NewReader(sealed))
	if err != nil {
		return nil, ErrPassphraseMismatch
	}
	got, err := io.ReadAll(plain)
	if err != nil || string(got) != checkText {
		return nil, ErrPassphraseMismatch
	}
	return key, nil
}
