package backup

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

// UnlockFolder is the key of the folder localRoot backs up to, from its
// marker on the server and its passphrase, which is asked only when needed
// (isNew: the folder's encryption is being set up now). With create, a
// folder with no backup yet gets a new marker (created is then true: the
// moment to show the recovery sheet); without, a folder that is not
// encrypted gives a nil key and asks nothing. A wrong passphrase is a
// format.LockedError, and create for a folder already backed up without
// encryption a problem.AlreadyPlain, asked before any passphrase; either
// way nothing is written.
func UnlockFolder(ctx context.Context, remote Remote, device, localRoot string, create bool,
	passphrase func(isNew bool) (string, error)) (key *crypt.Key, m *crypt.Marker, created bool, err error) {
	name, err := format.RemoteFolder(device, localRoot)
	if err != nil {
		return nil, nil, false, err
	}
	f := format.FolderOf(name)
	typed := "" // asked once, even when the loop goes round again
	ask := func(isNew bool) (string, error) {
		if typed != "" {
			return typed, nil
		}
		p, err := passphrase(isNew)
		typed = p
		return p, err
	}
	for range 2 {
		key, m, err = format.OpenFolder(ctx, remote, f, func() (string, error) { return ask(false) })
		switch {
		case err != nil:
			return nil, nil, false, err
		case m != nil:
			return key, m, false, nil
		}
		if !create {
			return nil, nil, false, nil
		}
		h, err := format.OpenHistory(ctx, remote, f)
		if err != nil {
			return nil, nil, false, err
		}
		if !h.Empty() {
			return nil, nil, false, problem.New(problem.AlreadyPlain, problem.Args{"device": f.Device, "folder": f.Name}, nil)
		}
		p, err := ask(true)
		if err != nil {
			return nil, nil, false, err
		}
		marker, key, err := crypt.NewMarker(p)
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

// SetAside moves a folder's whole backup on the server (its files, their
// versions and its history) to the folder name aside, where it stays
// restorable, and makes ix forget the folder: the next pass starts it
// afresh under its own name, as turning encryption on for a folder that
// was backed up without needs. Nothing is deleted. A move that fails puts
// back the ones done before it.
func SetAside(ctx context.Context, remote Remote, ix *Index, device, localRoot, aside string) error {
	name, err := format.RemoteFolder(device, localRoot)
	if err != nil {
		return err
	}
	from, to := format.FolderOf(name), format.Folder{Device: device, Name: aside}
	if aside == "" || aside == format.MetaDir || strings.ContainsAny(aside, `/\`+"\x00") || aside == from.Name {
		return fmt.Errorf("%q cannot hold the backup set aside: choose another name", aside)
	}
	places := [][2]string{{from.Current(""), to.Current("")}, {from.AllVersions(), to.AllVersions()}, {from.Catalogs(), to.Catalogs()}}
	var done [][2]string
	for _, p := range places {
		err := remote.Move(ctx, p[0]+"/", p[1]+"/", false)
		if isNotFound(err) {
			continue // nothing there yet (no version so far)
		}
		if err != nil {
			for _, d := range slices.Backward(done) {
				remote.Move(context.WithoutCancel(ctx), d[1]+"/", d[0]+"/", false)
			}
			return fmt.Errorf("moving %s to %s on the server: %w", p[0], p[1], err)
		}
		done = append(done, p)
	}
	return ix.ForgetFolder(name)
}
