package restore

import (
	"context"

	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/backup/format"
)

// Unlock is r reading the folder through its encryption, when it has one:
// passphrase is asked only then, and derives its key, or the error is a
// format.LockedError before anything is read. A folder that is not
// encrypted is read as it is.
func Unlock(ctx context.Context, r Remote, device, folder string, passphrase func() (string, error)) (Remote, error) {
	if err := checkNames(device, folder); err != nil {
		return nil, err
	}
	key, _, err := format.OpenFolder(ctx, r, format.Folder{Device: device, Name: folder}, passphrase)
	switch {
	case err != nil:
		return nil, err
	case key == nil:
		return r, nil // not encrypted
	}
	return crypt.NewStore(r, key), nil
}

func checkNames(device, folder string) error {
	if err := CheckName(device); err != nil {
		return err
	}
	return CheckName(folder)
}
