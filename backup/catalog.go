package backup

import (
	"bytes"
	"context"
	"io"

	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/transport"
)

// latestCatalog finds and reads the newest catalog of a folder, or returns
// nil entries when there is none.
func latestCatalog(ctx context.Context, r Remote, f format.Folder) ([]format.CatalogEntry, error) {
	infos, err := r.List(ctx, f.Catalogs())
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var newest string
	for _, fi := range infos {
		if stamp, ok := format.CatalogStamp(fi.Name()); ok && stamp > newest {
			newest = stamp
		}
	}
	if newest == "" {
		return nil, nil
	}
	body, err := r.Get(ctx, f.Catalog(newest))
	if err != nil {
		return nil, err
	}
	defer body.Close()
	_, entries, err := format.DecodeCatalog(body)
	return entries, err
}

// uploadBytes is an upload body over bytes already in memory.
func uploadBytes(data []byte) transport.Body {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}
