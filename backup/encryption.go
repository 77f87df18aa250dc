package backup

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

// UnlockFolder is the key of the folder localRoot backs up to, from its
// marker on the server and the passphrase; when the folder has no backup
// yet, it writes a new marker first (created is then true: the moment to
// show the recovery sheet). A wrong passphrase is a format.LockedError,
// a folder already backed up without encryption a problem.AlreadyPlain; either
// way nothing is written.
func UnlockFolder(ctx context.Context, remote Remote, device, localRoot, passphrase string) (key *crypt.Key, m *crypt.Marker, created bool, err error) {
	name, err := format.RemoteFolder(device, localRoot)
	if err != nil {
		return nil, nil, false, err
	}
	f := format.FolderOf(name)
	for range 2 {
		if m, err = format.ReadMarker(ctx, remote, f); err != nil {
			return nil, nil, false, err
		}
		if m != nil {
			key, err = format.OpenMarker(m, f, passphrase)
			return key, m, false, err
		}
		h, err := format.OpenHistory(ctx, remote, f)
		if err != nil {
			return nil, nil, false, err
		}
		if !h.Empty() {
			return nil, nil, false, problem.New(problem.AlreadyPlain, problem.Args{"device": f.Device, "folder": f.Name}, nil)
		}
		marker, key, err := crypt.NewMarker(passphrase)
		if err != nil {
			return nil, nil, false, err
		}
		err = writeMarker(ctx, remote, f, marker)
		if errors.Is(err, transport.ErrExists) {
			continue // another computer set the folder up a moment ago: use its marker
		}
		if err != nil {
			return nil, nil, false, err
		}
		return key, &marker, true, nil
	}
	return nil, nil, false, fmt.Errorf("%s/%s: the encryption marker keeps changing on the server", f.Device, f.Name)
}

// writeMarker puts a new marker, never replacing one: a second marker
// would make the files under the first unreadable.
func writeMarker(ctx context.Context, remote Remote, f format.Folder, m crypt.Marker) error {
	file := f.Encryption()
	for _, dir := range []string{f.Device, path.Join(f.Device, format.MetaDir), path.Dir(file)} {
		if err := remote.Mkdir(ctx, dir); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	raw := m.JSON()
	if err := remote.PutNew(ctx, file, uploadBytes(raw), int64(len(raw))); err != nil {
		return fmt.Errorf("writing the encryption marker of %s/%s: %w", f.Device, f.Name, err)
	}
	return nil
}
