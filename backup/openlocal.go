package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// openLocal opens a file to read it for the backup; when it cannot be, the
// error says why in a sentence, and the file is tried again next pass.
func openLocal(path string) (*os.File, error) {
	f, err := os.Open(path)
	switch {
	case err == nil:
		return f, nil
	case heldOpen(err):
		return nil, fmt.Errorf("another program has this file open and lets no other program read it: it is backed up on the next pass after that program closes it: %w", err)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("this file may not be read (permission denied): allow Kumo to read it and it is backed up on the next pass: %w", err)
	}
	return nil, err
}
