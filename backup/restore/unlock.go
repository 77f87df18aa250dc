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
	f := format.Folder{Device: device, Name: folder}
	m, err := format.ReadMarker(ctx, r, f)
	if err != nil || m == nil {
		return r, err
	}
	p, err := passphrase()
	if err != nil {
		return nil, err
	}
	key, err := format.OpenMarker(m, f, p)
	if err != nil {
		return nil, err
	}
	return crypt.NewStore(r, key), nil
}

func checkNames(device, folder string) error {
	if err := CheckName(device); err != nil {
		return err
	}
	return CheckName(folder)
}
