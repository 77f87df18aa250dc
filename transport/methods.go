package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
)

// ErrExists is a create-only upload refused because the server already has
// a file at that path (412 to If-None-Match: *).
var ErrExists = errors.New("a file already exists at this path on the server")

// PutNew uploads like Put but only if nothing exists at remotePath, so an
// upload never replaces a server copy the caller does not know about.
func (c *Client) PutNew(ctx context.Context, remotePath string, open Body, size int64) error {
	err := c.put(ctx, remotePath, open, size, http.Header{"If-None-Match": {"*"}})
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusPreconditionFailed {
		return ErrExists
	}
	return err
}

// Move renames a file or folder on the server in one request. With
// overwrite false an existing destination is ErrExists.
func (c *Client) Move(ctx context.Context, from, to string, overwrite bool) error {
	h := http.Header{"Destination": {c.URL(to)}, "Overwrite": {"F"}}
	if overwrite {
		h.Set("Overwrite", "T")
	}
	err := c.do(ctx, "MOVE", from, h, http.StatusCreated, http.StatusNoContent)
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusPreconditionFailed {
		return ErrExists
	}
	return err
}

// Delete removes a file or folder; one that is already gone is success.
func (c *Client) Delete(ctx context.Context, remotePath string) error {
	return c.do(ctx, http.MethodDelete, remotePath, nil, http.StatusOK, http.StatusNoContent, http.StatusNotFound)
}

// Get opens a file for reading; the caller closes it.
func (c *Client) Get(ctx context.Context, remotePath string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(remotePath), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.netError("GET", remotePath, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &StatusError{Op: "GET", Path: remotePath, Code: resp.StatusCode}
	}
	return resp.Body, nil
}

// Exists reports whether something is at remotePath (PROPFIND Depth 0).
func (c *Client) Exists(_ context.Context, remotePath string) (bool, error) {
	_, err := c.dav.Stat(remotePath)
	if err == nil {
		return true, nil
	}
	err = davErr("PROPFIND", remotePath, err)
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return false, nil
	}
	return false, err
}

// List returns the entries of a folder (PROPFIND Depth 1).
func (c *Client) do(ctx context.Context, method, remotePath string, h http.Header, ok ...int) error {
	req, err := http.NewRequestWithContext(ctx, method, c.URL(remotePath), nil)
	if err != nil {
		return err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.netError(method, remotePath, err)
	}
	defer resp.Body.Close()
	if slices.Contains(ok, resp.StatusCode) {
		return nil
	}
	return &StatusError{Op: method, Path: remotePath, Code: resp.StatusCode}
}
