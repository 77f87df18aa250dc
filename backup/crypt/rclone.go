package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// rclone keeps passwords in its config file "obscured": AES-CTR under a key
// published in its source, so that a glance at the file does not show them.
// It hides nothing from anyone who has the file; Kumo writes it only into
// the recovery sheet the user asked for, never to disk on its own.
var obscureKey = []byte{
	0x9c, 0x93, 0x5b, 0x48, 0x73, 0x0a, 0x55, 0x4d, 0x6b, 0xfd, 0x7c, 0x63, 0xc8, 0x86, 0xa9, 0x2b,
	0xd3, 0x90, 0x19, 0x8e, 0xb8, 0x12, 0x8a, 0xfb, 0xf4, 0xde, 0x16, 0x2b, 0x8b, 0x95, 0xf6, 0x38,
}

// Obscure writes s the way rclone's config file holds a password.
func Obscure(s string) (string, error) {
	block, err := aes.NewCipher(obscureKey)
	if err != nil {
		return "", err
	}
	out := make([]byte, aes.BlockSize+len(s))
	if _, err := rand.Read(out[:aes.BlockSize]); err != nil {
		return "", err
	}
	cipher.NewCTR(block, out[:aes.BlockSize]).XORKeyStream(out[aes.BlockSize:], []byte(s))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Reveal reads a password as rclone's config file holds it.
func Reveal(obscured string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(obscured)
	if err != nil || len(raw) < aes.BlockSize {
		return "", fmt.Errorf("not an obscured rclone password")
	}
	block, err := aes.NewCipher(obscureKey)
	if err != nil {
		return "", err
	}
	out := make([]byte, len(raw)-aes.BlockSize)
	cipher.NewCTR(block, raw[:aes.BlockSize]).XORKeyStream(out, raw[aes.BlockSize:])
	return string(out), nil
}

// RcloneRemote is the rclone.conf section that opens an encrypted folder
// without Kumo: a crypt remote named name over remote (another remote's
// path, such as "infinicloud:backup/laptop/Documents"), names left plain.
func RcloneRemote(name, remote, passphrase, salt string) (string, error) {
	pass, err := Obscure(passphrase)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\ntype = crypt\nremote = %s\nfilename_encryption = off\ndirectory_name_encryption = false\npassword = %s\n", name, remote, pass)
	if salt != "" {
		pass2, err := Obscure(salt)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "password2 = %s\n", pass2)
	}
	return b.String(), nil
}
