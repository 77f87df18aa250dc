package emulator

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/webdav"
)

// Areas are the WebDAV roots every user has.
var Areas = []string{"dav", "backup"}

// user is one account's live state: its files, usage and WebDAV handlers.
type user struct {
	mu    sync.Mutex
	acct  Account
	cfg   *Config
	root  string // DataDir/<user>
	tmp   string // uploads in progress, outside the areas
	areas map[string]*webdav.Handler
	used  int64 // bytes of the files on disk
	dirty bool  // used must be recounted (after DELETE, MOVE or COPY)
	held  []heldBytes
}

// heldBytes are deleted or overwritten bytes a snapshot still holds: they
// count as used until then.
type heldBytes struct {
	until time.Time
	n     int64
}

func newUser(cfg *Config, acct Account) (*user, error) {
	u := &user{
		cfg:   cfg,
		acct:  acct,
		root:  filepath.Join(cfg.DataDir, acct.User),
		areas: make(map[string]*webdav.Handler),
		dirty: true,
	}
	u.tmp = filepath.Join(u.root, ".uploading")
	if err := os.MkdirAll(u.tmp, 0o700); err != nil {
		return nil, err
	}
	for _, area := range Areas {
		dir := filepath.Join(u.root, area)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		fs := &propFS{Dir: webdav.Dir(dir), props: &propStore{}}
		if cfg.RFC4331 {
			fs.quota = u.quota
		}
		u.areas[area] = &webdav.Handler{Prefix: "/" + area, FileSystem: fs, LockSystem: webdav.NewMemLS()}
	}
	// Anything a crash left half-uploaded is not a file.
	entries, _ := os.ReadDir(u.tmp)
	for _, e := range entries {
		os.Remove(filepath.Join(u.tmp, e.Name()))
	}
	return u, nil
}

func (u *user) limit() int64 {
	if u.acct.Quota > 0 {
		return u.acct.Quota
	}
	return FreeQuota
}

// usage returns the bytes stored in all areas and those snapshots still
// hold; the caller holds u.mu.
func (u *user) usage() int64 {
	return u.disk() + u.heldNow()
}

func (u *user) heldNow() int64 {
	now := u.cfg.Now()
	var n int64
	kept := u.held[:0]
	for _, h := range u.held {
		if now.Before(h.until) {
			kept = append(kept, h)
			n += h.n
		}
	}
	u.held = kept
	return n
}

// hold keeps n freed bytes counted until the snapshot delay has passed.
func (u *user) hold(n int64) {
	if n <= 0 || u.cfg.SnapshotDelay <= 0 {
		return
	}
	u.mu.Lock()
	u.held = append(u.held, heldBytes{until: u.cfg.Now().Add(u.cfg.SnapshotDelay), n: n})
	u.mu.Unlock()
}

// disk is the bytes of the files on disk; the caller holds u.mu.
func (u *user) disk() int64 {
	if u.dirty {
		var total int64
		for _, area := range Areas {
			filepath.WalkDir(filepath.Join(u.root, area), func(_ string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					if info, err := d.Info(); err == nil {
						total += info.Size()
					}
				}
				return nil
			})
		}
		u.used, u.dirty = total, false
	}
	return u.used
}

func (u *user) quota() (used, available int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	used = u.usage()
	return used, max(u.limit()-used, 0)
}

// reserve claims n more bytes of quota (n may be negative), or reports
// that they do not fit.
func (u *user) reserve(n int64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if n > 0 && u.usage()+n > u.limit() {
		return false
	}
	u.used += n
	return true
}

// freed counts n bytes deleted: gone from the disk, held by the snapshots.
func (u *user) freed(n int64) {
	u.hold(n)
	u.mu.Lock()
	u.used -= n
	u.mu.Unlock()
}

func (u *user) markDirty() {
	u.mu.Lock()
	u.dirty = true
	u.mu.Unlock()
}

// serveDAV serves one WebDAV request in area for an authenticated user.
func (u *user) serveDAV(w http.ResponseWriter, r *http.Request, area string) {
	h := u.areas[area]
	dir := string(h.FileSystem.(*propFS).Dir)
	local := filepath.Join(dir, filepath.FromSlash(clean(strings.TrimPrefix(r.URL.Path, h.Prefix))))
	// Like Apache's mod_dir: a collection asked for without its trailing
	// slash is a 301 to the slashed address, whatever the method.
	if !strings.HasSuffix(r.URL.Path, "/") {
		if st, err := os.Stat(local); err == nil && st.IsDir() {
			u := *r.URL
			u.Path += "/"
			w.Header().Set("Location", u.String())
			http.Error(w, "moved permanently", http.StatusMovedPermanently)
			return
		}
	}
	w = weakETags{w}
	switch r.Method {
	case http.MethodPut:
		u.put(w, r, h)
		return
	case "MOVE", "COPY":
		// RFC 4918: a missing source is 404 (as Apache answers), and a
		// missing destination parent 409 (9.8.5/9.9.4); x/net/webdav
		// answers 403 to both.
		if _, err := os.Lstat(local); errors.Is(err, os.ErrNotExist) {
			http.Error(w, "the source does not exist", http.StatusNotFound)
			return
		}
		if d, err := url.Parse(r.Header.Get("Destination")); err == nil && strings.HasPrefix(d.Path, h.Prefix+"/") {
			dest := filepath.Join(string(h.FileSystem.(*propFS).Dir), filepath.FromSlash(clean(strings.TrimPrefix(d.Path, h.Prefix))))
			if st, err := os.Stat(filepath.Dir(dest)); err != nil || !st.IsDir() {
				http.Error(w, "the destination's parent collection does not exist", http.StatusConflict)
				return
			}
			if _, err := os.Lstat(dest); r.Method == "MOVE" && errors.Is(err, os.ErrNotExist) {
				break // a MOVE to a new name changes no usage: nothing to recount
			}
		}
		defer u.markDirty()
	case http.MethodDelete:
		size := treeSize(local)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if rec.status < 300 {
				u.freed(size)
			}
		}()
		w = rec
	case "PROPFIND", "PROPPATCH":
		if !validXMLBody(w, r) {
			return
		}
	}
	h.ServeHTTP(w, r)
}

// maxXMLBody bounds PROPFIND and PROPPATCH bodies, which are small.
const maxXMLBody = 1 << 20

// validXMLBody rejects what x/net/webdav's decoder lets through: a prefix
// bound to an empty namespace name, which XML Namespaces 1.0 forbids
// (xmlns:p=""). It answers 400 and returns false for such a body.
func validXMLBody(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil || len(body) > maxXMLBody {
		http.Error(w, "request body unreadable or too large", http.StatusBadRequest)
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return true // the handler reports malformed XML itself
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Space == "xmlns" && a.Value == "" {
					http.Error(w, "invalid namespace declaration: xmlns:"+a.Name.Local+" is empty", http.StatusBadRequest)
					return false
				}
			}
		}
	}
}

// weakETags gives every ETag the weak form the real node uses (W/"...").
type weakETags struct{ http.ResponseWriter }

func (w weakETags) WriteHeader(code int) {
	if e := w.Header().Get("ETag"); e != "" && !strings.HasPrefix(e, "W/") {
		w.Header().Set("ETag", "W/"+e)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w weakETags) Write(p []byte) (int, error) {
	if e := w.Header().Get("ETag"); e != "" && !strings.HasPrefix(e, "W/") {
		w.Header().Set("ETag", "W/"+e)
	}
	return w.ResponseWriter.Write(p)
}

// statusRecorder remembers the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// treeSize is the bytes of the files at or under p.
func treeSize(p string) int64 {
	var n int64
	filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// put stores the body in a temporary file and renames it into place only
// when it arrived whole and fits the quota: a failed PUT leaves nothing.
func (u *user) put(w http.ResponseWriter, r *http.Request, h *webdav.Handler) {
	rel := strings.TrimPrefix(r.URL.Path, h.Prefix)
	name := clean(rel)
	if name == "/" || strings.HasSuffix(rel, "/") {
		http.Error(w, "cannot PUT to a collection", http.StatusMethodNotAllowed)
		return
	}
	full := filepath.Join(string(h.FileSystem.(*propFS).Dir), filepath.FromSlash(name))
	if st, err := os.Stat(filepath.Dir(full)); err != nil || !st.IsDir() {
		http.Error(w, "the parent collection does not exist", http.StatusConflict)
		return
	}
	var oldSize int64
	st, err := os.Stat(full)
	existed := err == nil
	if existed {
		if st.IsDir() {
			http.Error(w, "a collection exists at this path", http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("If-None-Match") == "*" {
			http.Error(w, "the resource exists", http.StatusPreconditionFailed)
			return
		}
		oldSize = st.Size()
	}

	// With a length, refuse before reading; without, stop at the quota.
	reserved := int64(0)
	if r.ContentLength >= 0 {
		reserved = r.ContentLength - oldSize
		if !u.reserve(reserved) {
			w.Header().Set("Connection", "close")
			http.Error(w, "insufficient storage: the account's quota is full", u.cfg.FullStatus)
			return
		}
	}
	_, avail := u.quota()
	tmp, err := os.CreateTemp(u.tmp, "put-*")
	if err != nil {
		u.reserve(-reserved)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	allowed := avail + oldSize + max(reserved, 0)
	n, copyErr := io.Copy(tmp, io.LimitReader(r.Body, allowed+1))
	closeErr := tmp.Close()
	fail := func(status int, msg string) {
		os.Remove(tmp.Name())
		u.reserve(-reserved)
		if status != 0 {
			w.Header().Set("Connection", "close")
			http.Error(w, msg, status)
		}
	}
	switch {
	case n > allowed:
		fail(u.cfg.FullStatus, "insufficient storage: the account's quota is full")
		return
	case copyErr != nil:
		fail(http.StatusBadRequest, "the upload was cut short")
		return
	case closeErr != nil:
		fail(http.StatusInternalServerError, closeErr.Error())
		return
	case r.ContentLength >= 0 && n != r.ContentLength:
		fail(http.StatusBadRequest, "the body is shorter than its Content-Length")
		return
	}
	if r.ContentLength < 0 && !u.reserve(n-oldSize) {
		fail(u.cfg.FullStatus, "insufficient storage: the account's quota is full")
		return
	}
	if err := os.Rename(tmp.Name(), full); err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	u.hold(oldSize) // the overwritten bytes stay in the snapshots
	if info, err := os.Stat(full); err == nil {
		w.Header().Set("ETag", fmt.Sprintf(`W/"%x%x"`, info.ModTime().UnixNano(), info.Size()))
	}
	if u.cfg.OnPut != nil {
		u.cfg.OnPut(u.acct.User, strings.Trim(h.Prefix, "/"), name, n)
	}
	if existed {
		w.WriteHeader(http.StatusNoContent)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
}
