package backup

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// RemoteFolder is where a local folder's current files live on the server:
// <device>/<folder name>/, relative to the area root (see docs/remote-layout.md).
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
	if name == metaDir {
		return "", fmt.Errorf("a folder named %s cannot be backed up: Kumo keeps its versions and catalogs under that name", metaDir)
	}
	return path.Join(device, name), nil
}

// metaDir holds, per device, what is not a current file: versions and catalogs.
const metaDir = ".kumo"

// stampLayout names versions and catalogs; it sorts as text in time order.
const stampLayout = "20060102T150405.000Z"

// Stamp formats t for a version or catalog name (UTC, milliseconds).
func Stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// ParseStamp reads a Stamp.
func ParseStamp(s string) (time.Time, error) { return time.Parse(stampLayout, s) }

// layout computes the remote paths of one backed-up folder.
type layout struct {
	device, name string // the device and the local folder's base name
}

func newLayout(remoteFolder string) layout {
	device, name, _ := strings.Cut(remoteFolder, "/")
	return layout{device: device, name: name}
}

// current is where rel's current copy lives.
func (l layout) current(rel string) string { return path.Join(l.device, l.name, rel) }

// versions is the folder holding every version of rel.
func (l layout) versions(rel string) string {
	return path.Join(l.device, metaDir, "versions", l.name, rel)
}

// version names one version: when its content became current (since), when
// it stopped being current (superseded), and the file's extension so it
// opens with the right program from a web page.
func (l layout) version(rel, since, superseded string) string {
	return path.Join(l.versions(rel), since+"~"+superseded+path.Ext(rel))
}

// catalogs is the folder of the folder's catalogs.
func (l layout) catalogs() string { return path.Join(l.device, metaDir, "catalogs", l.name) }

func (l layout) catalog(stamp string) string { return path.Join(l.catalogs(), stamp+".jsonl.gz") }

// parseVersionName splits a version's file name into its stamps.
func parseVersionName(name string) (since, superseded string, ok bool) {
	since, rest, ok := strings.Cut(name, "~")
	if !ok || len(rest) < len(stampLayout) {
		return "", "", false
	}
	return since, rest[:len(stampLayout)], true
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

// Paths are the remote paths of one backed-up folder, for code that reads
// the layout without running an engine (the restorer).
type Paths struct{ l layout }

// PathsOf returns the paths of folder (a local folder's base name) of device.
func PathsOf(device, folder string) Paths { return Paths{layout{device: device, name: folder}} }

// Current is where rel's current copy lives.
func (p Paths) Current(rel string) string { return p.l.current(rel) }

// Versions is the folder holding every earlier content of rel.
func (p Paths) Versions(rel string) string { return p.l.versions(rel) }

// Catalogs is the folder of the folder's catalogs.
func (p Paths) Catalogs() string { return p.l.catalogs() }

// Catalog is the catalog written at stamp.
func (p Paths) Catalog(stamp string) string { return p.l.catalog(stamp) }

// CatalogFolders is where a device's catalogs are, one folder per backed-up folder.
func CatalogFolders(device string) string { return path.Join(device, metaDir, "catalogs") }

// ParseVersionName splits a version's file name into its stamps.
func ParseVersionName(name string) (since, superseded string, ok bool) { return parseVersionName(name) }

// CatalogSuffix ends every catalog's file name.
const CatalogSuffix = ".jsonl.gz"
