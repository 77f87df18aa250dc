package crypt

import (
	"io"
	"sync"

	"golang.org/x/crypto/nacl/secretbox"
)

// blockPool holds an encrypter's two block buffers, so that a backup of
// many small files does not allocate 128 KiB for each.
var blockPool = sync.Pool{New: func() any {
	return &blockBuffers{in: make([]byte, blockData), out: make([]byte, 0, blockSize)}
}}

type blockBuffers struct{ in, out []byte }

func (k *Key) encryptWith(plain io.Reader, nonce [nonceSize]byte) io.Reader {
	e := &encrypter{key: k, src: plain, nonce: nonce, bufs: blockPool.Get().(*blockBuffers)}
	e.out = append(append(make([]byte, 0, headerSize), magic...), nonce[:]...)
	return e
}

// encrypter seals the plain content a block at a time as it is read. (A
// goroutine sealing the next block while one is sent was slower, 545 MB/s
// against 593, in BenchmarkEncryptThenHash.)
type encrypter struct {
	key   *Key
	src   io.Reader
	nonce [nonceSize]byte
	bufs  *blockBuffers
	out   []byte // sealed bytes not yet read
	pos   int
	err   error // io.EOF once src has ended and everything was read
}

func (e *encrypter) Read(p []byte) (int, error) {
	for e.pos == len(e.out) {
		if e.err != nil {
			return 0, e.err
		}
		n, err := io.ReadFull(e.src, e.bufs.in)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			e.err = io.EOF
		case err != nil:
			e.err = err
			return 0, err
		}
		e.out, e.pos = e.out[:0], 0
		if n > 0 {
			e.out = secretbox.Seal(e.bufs.out[:0], e.bufs.in[:n], &e.nonce, &e.key.data)
			increment(&e.nonce)
		}
		if e.err == io.EOF && len(e.out) == 0 {
			e.release()
		}
	}
	n := copy(p, e.out[e.pos:])
	e.pos += n
	if e.pos == len(e.out) && e.err == io.EOF {
		e.release()
	}
	return n, nil
}

// release gives the buffers back once everything was read; an encrypter
// left unread keeps them for the garbage collector.
func (e *encrypter) release() {
	if e.bufs != nil {
		blockPool.Put(e.bufs)
		e.bufs, e.out, e.pos = nil, nil, 0
	}
}
