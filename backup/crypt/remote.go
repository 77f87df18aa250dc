package crypt

import (
	"context"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"

	"github.com/kumo-backup/kumo/transport"
)

// Reader is what reading a folder on the server needs (format.Store).
type Reader interface {
	Get(ctx context.Context, remotePath string) (io.ReadCloser, error)
	List(ctx context.Context, dir string) ([]os.FileInfo, error)
}

// Writer is what backing a folder up needs (backup.Remote).
type Writer interface {
	Reader
	Mkdir(ctx context.Context, remotePath string) error
	Put(ctx context.Context, remotePath string, open transport.Body, size int64) error
	PutNew(ctx context.Context, remotePath string, open transport.Body, size int64) error
	Move(ctx context.Context, from, to string, overwrite bool) error
	Delete(ctx context.Context, remotePath string) error
	Exists(ctx context.Context, remotePath string) (bool, error)
}

// Store reads an encrypted folder as if it were plain: a file's name is
// asked for without the suffix, its content comes back decrypted and its
// size is listed as the plain size. Folder paths (ending in "/") and
// folders in listings pass as they are, since rclone leaves them plain.
type Store struct {
	r   Reader
	key *Key
}

// NewStore reads through r with key.
func NewStore(r Reader, key *Key) *Store { return &Store{r: r, key: key} }

// NewHash is the hash a folder's catalog records (Key.Hash).
func (s *Store) NewHash() hash.Hash { return s.key.Hash() }

// Get decrypts a file's content; a wrong key fails on its first block.
func (s *Store) Get(ctx context.Context, remotePath string) (io.ReadCloser, error) {
	body, err := s.r.Get(ctx, onServer(remotePath))
	if err != nil {
		return nil, err
	}
	plain, err := s.key.Decrypt(body)
	if err != nil {
		body.Close()
		return nil, fmt.Errorf("%s: %w", remotePath, err)
	}
	return readCloser{plain, body}, nil
}

// List shows files with their plain names and sizes. A file without the
// suffix, or too short to be encrypted, is left out: it is not one of the
// folder's and would not open.
func (s *Store) List(ctx context.Context, dir string) ([]os.FileInfo, error) {
	infos, err := s.r.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := infos[:0]
	for _, fi := range infos {
		if fi.IsDir() {
			out = append(out, fi)
			continue
		}
		name, ok := strings.CutSuffix(fi.Name(), Suffix)
		if !ok {
			continue
		}
		size, err := PlainSize(fi.Size())
		if err != nil {
			continue
		}
		out = append(out, plainInfo{FileInfo: fi, name: name, size: size})
	}
	return out, nil
}

// Remote writes an encrypted folder: contents are encrypted on their way
// up, in the upload stream, and every file name gains the suffix.
type Remote struct {
	Store
	w Writer
}

// NewRemote writes and reads through w with key.
func NewRemote(w Writer, key *Key) *Remote { return &Remote{Store: Store{r: w, key: key}, w: w} }

func (r *Remote) Mkdir(ctx context.Context, remotePath string) error {
	return r.w.Mkdir(ctx, remotePath)
}

func (r *Remote) Put(ctx context.Context, remotePath string, open transport.Body, size int64) error {
	return r.w.Put(ctx, onServer(remotePath), r.encrypting(open), EncryptedSize(size))
}

func (r *Remote) PutNew(ctx context.Context, remotePath string, open transport.Body, size int64) error {
	return r.w.PutNew(ctx, onServer(remotePath), r.encrypting(open), EncryptedSize(size))
}

// Move keeps a rename one server-side MOVE: the content needs no change.
func (r *Remote) Move(ctx context.Context, from, to string, overwrite bool) error {
	return r.w.Move(ctx, onServer(from), onServer(to), overwrite)
}

func (r *Remote) Delete(ctx context.Context, remotePath string) error {
	return r.w.Delete(ctx, onServer(remotePath))
}

func (r *Remote) Exists(ctx context.Context, remotePath string) (bool, error) {
	return r.w.Exists(ctx, onServer(remotePath))
}

// encrypting opens the plain body and encrypts it as it is read, with a
// fresh nonce for each try.
func (r *Remote) encrypting(open transport.Body) transport.Body {
	return func() (io.ReadCloser, error) {
		plain, err := open()
		if err != nil {
			return nil, err
		}
		enc, err := r.key.Encrypt(plain)
		if err != nil {
			plain.Close()
			return nil, err
		}
		return readCloser{enc, plain}, nil
	}
}

// onServer is a file's name on the server; a folder's ("/" at the end) is unchanged.
func onServer(remotePath string) string {
	if strings.HasSuffix(remotePath, "/") {
		return remotePath
	}
	return remotePath + Suffix
}

type readCloser struct {
	io.Reader
	io.Closer
}

type plainInfo struct {
	os.FileInfo
	name string
	size int64
}

func (p plainInfo) Name() string { return p.name }
func (p plainInfo) Size() int64  { return p.size }
