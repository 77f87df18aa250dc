package emulator

import (
	"context"
	"encoding/xml"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/webdav"
)

// RFC 4331 quota properties, computed for every collection.
var (
	propQuotaAvailable = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
	propQuotaUsed      = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
)

// propStore keeps dead properties (PROPPATCH) in memory, by path.
type propStore struct {
	mu    sync.Mutex
	props map[string]map[xml.Name]webdav.Property
}

func (s *propStore) get(name string) map[xml.Name]webdav.Property {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[xml.Name]webdav.Property, len(s.props[name]))
	for k, v := range s.props[name] {
		out[k] = v
	}
	return out
}

// update applies fn to name's properties under the lock.
func (s *propStore) update(name string, fn func(map[xml.Name]webdav.Property)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.props == nil {
		s.props = make(map[string]map[xml.Name]webdav.Property)
	}
	m := s.props[name]
	if m == nil {
		m = make(map[xml.Name]webdav.Property)
	}
	fn(m)
	if len(m) == 0 {
		delete(s.props, name)
	} else {
		s.props[name] = m
	}
}

// forTree calls fn for name and every path below it, under the lock.
func (s *propStore) forTree(name string, fn func(p string)) {
	for p := range s.props {
		if p == name || strings.HasPrefix(p, strings.TrimSuffix(name, "/")+"/") {
			fn(p)
		}
	}
}

func (s *propStore) removeTree(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forTree(name, func(p string) { delete(s.props, p) })
}

func (s *propStore) moveTree(from, to string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	moved := map[string]map[xml.Name]webdav.Property{}
	s.forTree(from, func(p string) {
		moved[to+strings.TrimPrefix(p, from)] = s.props[p]
		delete(s.props, p)
	})
	s.forTree(to, func(p string) { delete(s.props, p) }) // overwritten destination
	for p, m := range moved {
		s.props[p] = m
	}
}

// propFS is a directory tree with dead properties, and quota properties
// when quota is set (RFC 4331 on).
type propFS struct {
	webdav.Dir
	props *propStore
	quota func() (used, available int64)
}

func clean(name string) string { return path.Clean("/" + name) }

func (fs *propFS) OpenFile(ctx context.Context, name string, flag int, perm os.FileMode) (webdav.File, error) {
	f, err := fs.Dir.OpenFile(ctx, name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &propFile{File: f, fs: fs, name: clean(name)}, nil
}

func (fs *propFS) RemoveAll(ctx context.Context, name string) error {
	err := fs.Dir.RemoveAll(ctx, name)
	if err == nil {
		fs.props.removeTree(clean(name))
	}
	return err
}

func (fs *propFS) Rename(ctx context.Context, oldName, newName string) error {
	err := fs.Dir.Rename(ctx, oldName, newName)
	if err == nil {
		fs.props.moveTree(clean(oldName), clean(newName))
	}
	return err
}

type propFile struct {
	webdav.File
	fs   *propFS
	name string
}

var _ webdav.DeadPropsHolder = (*propFile)(nil)

func (f *propFile) DeadProps() (map[xml.Name]webdav.Property, error) {
	props := f.fs.props.get(f.name)
	if st, err := f.Stat(); err == nil && st.IsDir() && f.fs.quota != nil {
		used, avail := f.fs.quota()
		props[propQuotaUsed] = webdav.Property{XMLName: propQuotaUsed, InnerXML: []byte(strconv.FormatInt(used, 10))}
		props[propQuotaAvailable] = webdav.Property{XMLName: propQuotaAvailable, InnerXML: []byte(strconv.FormatInt(avail, 10))}
	}
	return props, nil
}

// Patch sets and removes dead properties. The quota properties are
// protected (RFC 4331): they answer 403 and are left as they are.
func (f *propFile) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	ok := webdav.Propstat{Status: http.StatusOK}
	protected := webdav.Propstat{Status: http.StatusForbidden}
	f.fs.props.update(f.name, func(m map[xml.Name]webdav.Property) {
		for _, patch := range patches {
			for _, p := range patch.Props {
				if p.XMLName == propQuotaAvailable || p.XMLName == propQuotaUsed {
					protected.Props = append(protected.Props, webdav.Property{XMLName: p.XMLName})
					continue
				}
				ok.Props = append(ok.Props, webdav.Property{XMLName: p.XMLName})
				if patch.Remove {
					delete(m, p.XMLName)
				} else {
					m[p.XMLName] = p
				}
			}
		}
	})
	out := []webdav.Propstat{}
	for _, ps := range []webdav.Propstat{ok, protected} {
		if len(ps.Props) > 0 {
			out = append(out, ps)
		}
	}
	return out, nil
}
