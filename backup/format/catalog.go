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
	SHA256 string `json:"sha256,omitempty"` // in an encrypted folder, the keyed hash (crypt.Key.Hash)
	Since  string `json:"since,omitempty"`
	Link   string `json:"link,omitempty"`
}

// CatalogWriter streams a checkpoint: the header, then entries in path
// order, gzip-compressed, without holding the folder in memory.
type CatalogWriter struct {
	zw  *gzip.Writer
	enc *json.Encoder
}

// NewCatalogWriter writes the header to w.
func NewCatalogWriter(w io.Writer, h CatalogHeader) (*CatalogWriter, error) {
	zw := gzip.NewWriter(w)
	cw := &CatalogWriter{zw: zw, enc: json.NewEncoder(zw)}
	h.Kumo = CatalogVersion
	return cw, cw.enc.Encode(h)
}

// Write adds one entry; entries come in path order.
func (cw *CatalogWriter) Write(e CatalogEntry) error { return cw.enc.Encode(e) }

// Close ends the stream.
func (cw *CatalogWriter) Close() error { return cw.zw.Close() }

// EncodeCatalog writes a whole catalog in memory, entries sorted by path
// (in place): for tests and small folders.
func EncodeCatalog(h CatalogHeader, entries []CatalogEntry) ([]byte, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	var buf bytes.Buffer
	cw, err := NewCatalogWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := cw.Write(e); err != nil {
			return nil, err
		}
	}
	if err := cw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxCatalog bounds a catalog's uncompressed size (a hostile server could
// send a gzip bomb): 1 GiB is tens of millions of files.
const maxCatalog = 1 << 30

// ReadCatalog reads a catalog, calling fn for each entry as it goes; the
// error covers anything malformed, and a stream cut short (gzip's checksum
// is checked at its end, so a caller must not trust what fn saw before an
// error).
func ReadCatalog(r io.Reader, fn func(CatalogEntry) error) (CatalogHeader, error) {
	var h CatalogHeader
	zr, err := gzip.NewReader(r)
	if err != nil {
		return h, fmt.Errorf("the catalog is not gzip data: %w", err)
	}
	sc := bufio.NewScanner(io.LimitReader(zr, maxCatalog))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return h, fmt.Errorf("the catalog is damaged: %w", err)
		}
		return h, errors.New("the catalog is empty")
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Kumo == 0 {
		return h, errors.New("the catalog has no valid header")
	}
	if h.Kumo > CatalogVersion {
		return h, fmt.Errorf("the catalog was written by a newer Kumo (format %d): update Kumo", h.Kumo)
	}
	n := 1
	for sc.Scan() {
		n++
		var e CatalogEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return h, fmt.Errorf("the catalog has a malformed line %d: %w", n, err)
		}
		if err := fn(e); err != nil {
			return h, err
		}
	}
	if err := sc.Err(); err != nil {
		return h, fmt.Errorf("the catalog is damaged: %w", err)
	}
	return h, nil
}

// DecodeCatalog reads a whole catalog into memory.
func DecodeCatalog(r io.Reader) (CatalogHeader, []CatalogEntry, error) {
	var entries []CatalogEntry
	h, err := ReadCatalog(r, func(e CatalogEntry) error { entries = append(entries, e); return nil })
	if err != nil {
		return h, nil, err
	}
	return h, entries, nil
}
