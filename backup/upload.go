package backup

import (
	"bytes"
	"io"

	"github.com/kumo-backup/kumo/transport"
)

// uploadBytes is an upload body over bytes already in memory.
func uploadBytes(data []byte) transport.Body {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}
