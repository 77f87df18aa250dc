package cli

import "io"

// SetStdin makes the prompts read r until the test ends.
func SetStdin(r io.Reader) (restore func()) {
	old := stdin
	stdin = r
	return func() { stdin = old }
}
