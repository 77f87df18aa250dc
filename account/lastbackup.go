package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"slices"
	"time"

	"github.com/kumo-backup/kumo/transport"
)

// lastBackupFile is a small file in each device folder saying when that
// computer last had each folder fully backed up, so the account's other
// computers can tell a person that the laptop stopped a week ago.
const lastBackupFile = ".kumo-last-backup.json"

// LastBackup is what one computer says of its backups.
type LastBackup struct {
	Device string `json:"device"`
	// Folders maps each folder's name on the server to when it was last
	// fully backed up, by that computer's clock.
	Folders map[string]time.Time `json:"folders"`
}

// Oldest is when the computer's least recent folder was last backed up:
// the moment up to which everything it backs up is safe.
func (b LastBackup) Oldest() time.Time {
	var oldest time.Time
	for _, t := range b.Folders {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	return oldest
}

// WriteLastBackup records this computer's last backups in its device folder.
func WriteLastBackup(ctx context.Context, c *transport.Client, b LastBackup) error {
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return c.Put(ctx, path.Join(b.Device, lastBackupFile), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}, int64(len(raw)))
}

// Computer is one device folder of the account, as the server tells it.
type Computer struct {
	Name string
	// LastBackup is when all of its folders were last fully backed up;
	// zero when it has never said (an older Kumo, or nothing backed up).
	LastBackup time.Time
	Folders    map[string]time.Time
}

// OtherComputers lists the account's other computers (the device folders
// other than self that say when they last backed up: a folder of the area
// that is not Kumo's is left out), with one listing and one small read each.
func OtherComputers(ctx context.Context, c *transport.Client, self string) ([]Computer, error) {
	names, err := ListDevices(c)
	if err != nil {
		return nil, err
	}
	var out []Computer
	for _, name := range names {
		if name == self {
			continue
		}
		var b LastBackup
		err := c.GetJSON(ctx, path.Join(name, lastBackupFile), &b)
		var se *transport.StatusError
		switch {
		case errors.As(err, &se) && se.Code == http.StatusNotFound:
			continue // not a Kumo device folder, or one that has never said
		case err != nil && (ctx.Err() != nil || transport.Classify(err) != transport.ClassFile):
			return nil, err
		}
		comp := Computer{Name: name} // an unreadable record is listed without a time
		if err == nil {
			comp.LastBackup, comp.Folders = b.Oldest(), b.Folders
		}
		out = append(out, comp)
	}
	slices.SortFunc(out, func(a, b Computer) int { return b.LastBackup.Compare(a.LastBackup) })
	return out, nil
}
