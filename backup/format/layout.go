// Package format is Kumo's remote format: where each file, version and
// catalog lives under an area (docs/remote-layout.md), how moments are
// stamped, and the catalog codec. The engine writes it and the restorer
// reads it; nothing else builds a remote path.
package format

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// MetaDir holds, per device, what is not a current file: versions and catalogs.
const MetaDir = ".kumo"

// RemoteFolder is where a local folder's current files live on the server:
// <device>/<folder name>/, relative to the area root.
func RemoteFolder(device, localRoot string) (string, error) {
	if err := ValidateDeviceName(device); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(localRoot)
	if err != nil {
		return "", fmt.Errorf("folder %s: %w", localRoot, err)
	}
	name := filepath.Base(abs)
	if name == string(filepath.Separator) || name == "." || strings.HasSuffix(name, ":") || strings.HasSuffix(name, `\`) {
		return "", fmt.Errorf("cannot back up %s as a whole: choose a folder inside it", abs)
	}
	if name == MetaDir {
		return "", fmt.Errorf("a folder named %s cannot be backed up: Kumo keeps its versions and catalogs under that name", MetaDir)
	}
	return path.Join(device, name), nil
}

// ValidateDeviceName accepts a name usable as one path segment on any server.
func ValidateDeviceName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("the device name is empty: give this computer a name, such as its host name")
	case name == "." || name == "..":
		return fmt.Errorf("%q cannot be a device name: choose a name with letters or digits", name)
	case strings.ContainsAny(name, `/\`+"\x00"):
		return fmt.Errorf("the device name %q contains a slash: choose a name without / or \\", name)
	}
	return nil
}

// stampLayout names versions and catalogs; it sorts as text in time order.
const stampLayout = "20060102T150405.000Z"

// Stamp formats t for a version or catalog name (UTC, milliseconds).
func Stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// ParseStamp reads a Stamp.
func ParseStamp(s string) (time.Time, error) { return time.Parse(stampLayout, s) }

// Folder is one backed-up folder's place on the server: a device and the
// local folder's base name.
type Folder struct {
	Device, Name string
}

// FolderOf splits a remote folder ("device/name", from RemoteFolder).
func FolderOf(remoteFolder string) Folder {
	device, name, _ := strings.Cut(remoteFolder, "/")
	return Folder{Device: device, Name: name}
}

// Current is where rel's current copy lives.
func (f Folder) Current(rel string) string { return path.Join(f.Device, f.Name, rel) }

// AllVersions is the folder under which every version of the folder's files lives.
func (f Folder) AllVersions() string { return path.Join(f.Device, MetaDir, "versions", f.Name) }

// Versions is the folder holding every earlier content of rel.
func (f Folder) Versions(rel string) string { return path.Join(f.AllVersions(), rel) }

// Version names one version: when its content became current (since), when
// it stopped being current (superseded), and the file's extension so it
// opens with the right program from a web page.
func (f Folder) Version(rel, since, superseded string) string {
	return path.Join(f.Versions(rel), since+"~"+superseded+path.Ext(rel))
}

// ParseVersionName splits a version's file name into its stamps.
func ParseVersionName(name string) (since, superseded string, ok bool) {
	since, rest, ok := strings.Cut(name, "~")
	if !ok || len(rest) < len(stampLayout) {
		return "", "", false
	}
	return since, rest[:len(stampLayout)], true
}

// Encryption is where an encrypted folder's marker lives (crypt.Marker):
// beside, not inside, the folders it describes, and never encrypted.
func (f Folder) Encryption() string {
	return path.Join(f.Device, MetaDir, "encryption", f.Name+".json")
}

// Catalogs is the folder of the folder's catalogs.
func (f Folder) Catalogs() string { return path.Join(CatalogFolders(f.Device), f.Name) }

// Catalog is the catalog written at stamp.
func (f Folder) Catalog(stamp string) string { return path.Join(f.Catalogs(), stamp+catalogSuffix) }

// CatalogFolders is where a device's catalogs are, one folder per backed-up folder.
func CatalogFolders(device string) string { return path.Join(device, MetaDir, "catalogs") }

// catalogSuffix ends every catalog's file name.
const catalogSuffix = ".jsonl.gz"

// CatalogStamp is the stamp of a catalog's file name, or false for a name
// that is not one.
func CatalogStamp(name string) (string, bool) {
	stamp, ok := strings.CutSuffix(name, catalogSuffix)
	if !ok {
		return "", false
	}
	if _, err := ParseStamp(stamp); err != nil {
		return "", false
	}
	return stamp, true
}
