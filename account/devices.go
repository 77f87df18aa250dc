package account

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"time"

	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

// deviceMarker is a small file in each device folder naming the computer
// that backs up there, so a second computer never writes into its space.
const deviceMarker = ".kumo-device.json"

type markerFile struct {
	MachineID string    `json:"machine_id"`
	Device    string    `json:"device"`
	Created   time.Time `json:"created"`
}

// ListDevices returns the device folders in the area, sorted.
func ListDevices(c *transport.Client) ([]string, error) {
	infos, err := c.List(context.Background(), "/")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, fi := range infos {
		if fi.IsDir() {
			names = append(names, fi.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// claimDevice makes sure the device folder is this computer's: it creates
// folder and marker when new, and refuses one another computer owns unless
// opts.TakeOver says the user means it (a reinstalled or renamed computer).
func claimDevice(ctx context.Context, c *transport.Client, a Account, opts Options) error {
	if err := c.Mkdir(ctx, a.Device); err != nil {
		return explain(ctx, err, a, Secrets{}, opts)
	}
	raw, err := c.DAV().Read(path.Join(a.Device, deviceMarker))
	if err == nil {
		var m markerFile
		if json.Unmarshal(raw, &m) == nil && m.MachineID != "" && m.MachineID != opts.MachineID && !opts.TakeOver {
			return problem.New(problem.DeviceTaken, problem.Args{"device": a.Device}, nil)
		}
		if m.MachineID == opts.MachineID {
			return nil
		}
	}
	m, _ := json.Marshal(markerFile{MachineID: opts.MachineID, Device: a.Device, Created: time.Now().UTC()})
	err = c.Put(ctx, path.Join(a.Device, deviceMarker), func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(m)), nil
	}, int64(len(m)))
	if err != nil {
		return explain(ctx, err, a, Secrets{}, opts)
	}
	return nil
}

// RenameDevice moves this computer's device folder to a new name with one
// server-side MOVE; it refuses a name that is already taken.
func RenameDevice(ctx context.Context, c *transport.Client, a Account, newName string, opts Options) error {
	if names, err := ListDevices(c); err == nil {
		for _, n := range names {
			if n == newName {
				return problem.New(problem.DeviceNameTaken, problem.Args{"device": newName}, nil)
			}
		}
	}
	if err := c.DAV().Rename(a.Device+"/", newName+"/", false); err != nil {
		return fmt.Errorf("renaming the device folder on the server: %w", err)
	}
	renamed := a
	renamed.Device = newName
	return claimDevice(ctx, c, renamed, opts)
}
