package transport

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/studio-b12/gowebdav"
)

// StatusError is a request the server answered with an unexpected status.
type StatusError struct {
	Op   string // HTTP method
	Path string // path relative to the area root
	Code int
	Body string // start of the answer's body, secrets redacted (REST errors)
}

// NotFound reports a 404: the path is not on the server.
func (e *StatusError) NotFound() bool { return e.Code == http.StatusNotFound }

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: server answered %d %s", e.Op, e.Path, e.Code, http.StatusText(e.Code))
}

// NetError is a request that got no answer: refused, reset, timed out, TLS.
type NetError struct {
	Op   string
	Path string
	Err  error
}

func (e *NetError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err) }
func (e *NetError) Unwrap() error { return e.Err }

// Class groups errors by what the caller should do about them.
type Class int

const (
	// ClassFile concerns one file only: report it and go on with the rest.
	ClassFile Class = iota
	// ClassRetry is temporary: the same request may succeed later.
	ClassRetry
	// ClassAuth means the credentials were refused: stop and ask the user.
	ClassAuth
	// ClassQuota means the account is full: stop and tell the user.
	ClassQuota
	// ClassSetup means the connection settings are wrong (certificate,
	// address, protocol) and will not fix themselves: stop and tell the user.
	ClassSetup
)

// Classed is an error that knows its class, whatever it wraps (a problem
// that decided a 500 on every upload means a full account).
type Classed interface {
	error
	Class() Class
}

// Classify says what kind of failure err is.
func Classify(err error) Class {
	var classed Classed
	if errors.As(err, &classed) {
		return classed.Class()
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case http.StatusUnauthorized:
			return ClassAuth
		case http.StatusInsufficientStorage:
			return ClassQuota
		// rclone's list of statuses worth another try.
		case 423, 425, 429, 500, 502, 503, 504, 509:
			return ClassRetry
		}
		return ClassFile
	}
	if errors.Is(err, ErrSourceChanged) {
		return ClassFile
	}
	var chain *IncompleteChainError
	if errors.As(err, &chain) {
		return ClassRetry // the intermediate's server may answer later
	}
	var redirect *RedirectError
	if errors.As(err, &redirect) {
		return ClassFile
	}
	if permanent(err) {
		return ClassSetup
	}
	var ne *NetError
	if errors.As(err, &ne) {
		return ClassRetry
	}
	return ClassFile
}

// davErr turns gowebdav's *os.PathError{StatusError} into a StatusError.
func davErr(op, p string, err error) error {
	if err == nil {
		return nil
	}
	var se gowebdav.StatusError
	if errors.As(err, &se) {
		return &StatusError{Op: op, Path: p, Code: se.Status}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &NetError{Op: op, Path: p, Err: err}
}
