package format

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kumo-backup/kumo/backup/crypt"
)

// maxMarker bounds what is read of a marker: a hostile server's reply
// cannot fill the memory.
const maxMarker = 64 << 10

// ReadMarker reads a folder's encryption marker; nil when the folder is
// not encrypted.
func ReadMarker(ctx context.Context, store Store, f Folder) (*crypt.Marker, error) {
	body, err := store.Get(ctx, f.Encryption())
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading whether %s/%s is encrypted: %w", f.Device, f.Name, err)
	}
	defer body.Close()
	raw, err := io.ReadAll(io.LimitReader(body, maxMarker))
	if err != nil {
		return nil, fmt.Errorf("reading whether %s/%s is encrypted: %w", f.Device, f.Name, err)
	}
	m, err := crypt.ParseMarker(raw)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", f.Device, f.Name, err)
	}
	return &m, nil
}

// OpenFolder is an encrypted folder's key, from its marker and the
// passphrase, which is asked only when the folder has a marker: for one
// that is not encrypted all is nil and nothing is asked. A passphrase that
// is not the folder's is a LockedError with Wrong set.
func OpenFolder(ctx context.Context, store Store, f Folder, passphrase func() (string, error)) (*crypt.Key, *crypt.Marker, error) {
	m, err := ReadMarker(ctx, store, f)
	if err != nil || m == nil {
		return nil, nil, err
	}
	p, err := passphrase()
	if err != nil {
		return nil, nil, err
	}
	key, err := openMarker(m, f, p)
	return key, m, err
}

func openMarker(m *crypt.Marker, f Folder, passphrase string) (*crypt.Key, error) {
	if passphrase == "" {
		return nil, &LockedError{Folder: f}
	}
	key, err := m.Open(passphrase)
	if errors.Is(err, crypt.ErrPassphraseMismatch) {
		return nil, &LockedError{Folder: f, Wrong: true}
	}
	return key, err
}
