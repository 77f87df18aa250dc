package format

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// CatalogVersion is the catalog format written by this Kumo.
const CatalogVersion = 1

// CatalogHeader is the first line of a catalog.
type CatalogHeader struct {
	Kumo   int    `json:"kumo_catalog"`
	Device string `json:"device"`
	Folder string `json:"folder"`
	Time   string `json:"time"` // the pass's Stamp
}

// CatalogEntry is one file as it was when the catalog was written. Since
// and SHA256 identify its content: it is the current copy while its Since
// matches, and afterwards the version named "<Since>~<superseded>".
type CatalogEntry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	MTime  int64  `json:"mtime"` // nanoseconds since the epoch
	Mode   uint32 `json:"mode"`
	SHA256 string `json:"sha256,omitempty"`
	Since  string `json:"since,omitempty"`
	Link   string `json:"link,omitempty"`
}

// EncodeCatalog writes a gzip-compressed JSON-lines catalog, entries sorted
// by path (in place).
func EncodeCatalog(h CatalogHeader, entries []CatalogEntry) ([]byte, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	if err := enc.Encode(h); err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxCatalog bounds a catalog's uncompressed size (a hostile server could
// send a gzip bomb): 1 GiB is tens of millions of files.
const maxCatalog = 1 << 30

// DecodeCatalog reads a catalog, refusing anything malformed with a reason.
func DecodeCatalog(r io.Reader) (CatalogHeader, []CatalogEntry, error) {
	var h CatalogHeader
	zr, err := gzip.NewReader(r)
	if err != nil {
		return h, nil, fmt.Errorf("the catalog is not gzip data: %w", err)
	}
	sc := bufio.NewScanner(io.LimitReader(zr, maxCatalog))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return h, nil, errors.New("the catalog is empty")
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Kumo == 0 {
		return h, nil, errors.New("the catalog has no valid header")
	}
	if h.Kumo > CatalogVersion {
		return h, nil, fmt.Errorf("the catalog was written by a newer Kumo (format %d): update Kumo", h.Kumo)
	}
	var entries []CatalogEntry
	for sc.Scan() {
		var e CatalogEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return h, nil, fmt.Errorf("the catalog has a malformed line %d: %w", len(entries)+2, err)
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return h, nil, fmt.Errorf("the catalog is damaged: %w", err)
	}
	return h, entries, nil
}
