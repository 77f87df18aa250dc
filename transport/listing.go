package transport

import (
	"context"
	"encoding/xml"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

const listPropfind = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/></D:prop></D:propfind>`

// maxListing bounds a listing's XML (about 400 bytes per entry): a broken
// server cannot make Kumo read for ever.
const maxListing = 512 << 20

// List reads a folder's direct children with one PROPFIND (Depth 1). An
// answer that is not a WebDAV listing (empty, an HTML page, truncated XML)
// is ErrBadMultistatus, never an empty folder; entries that are not
// direct children of dir, or have no usable name, are left out.
func (c *Client) List(ctx context.Context, dir string) ([]os.FileInfo, error) {
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	target := c.URL(dir)
	req, err := http.NewRequestWithContext(ctx, "PROPFIND", target, strings.NewReader(listPropfind))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Depth", "1")
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.netError("PROPFIND", dir, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		return nil, &StatusError{Op: "PROPFIND", Path: dir, Code: resp.StatusCode}
	}
	base, _ := url.Parse(target)
	infos, err := parseListing(io.LimitReader(resp.Body, maxListing), base.Path)
	if err != nil {
		return nil, &NetError{Op: "PROPFIND", Path: dir, Err: err}
	}
	return infos, nil
}

type davResponse struct {
	Href     string `xml:"DAV: href"`
	Propstat []struct {
		Status string `xml:"DAV: status"`
		Prop   struct {
			Type struct {
				Collection *struct{} `xml:"DAV: collection"`
			} `xml:"DAV: resourcetype"`
			Length   string `xml:"DAV: getcontentlength"`
			Modified string `xml:"DAV: getlastmodified"`
		} `xml:"DAV: prop"`
	} `xml:"DAV: propstat"`
}

// parseListing reads a multistatus answer response by response, keeping
// the direct children of dirPath.
func parseListing(r io.Reader, dirPath string) ([]os.FileInfo, error) {
	dec := xml.NewDecoder(r)
	dirPath = path.Clean("/" + dirPath)
	var out []os.FileInfo
	sawRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ErrBadMultistatus
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case !sawRoot:
			if start.Name.Space != "DAV:" || start.Name.Local != "multistatus" {
				return nil, ErrBadMultistatus
			}
			sawRoot = true
		case start.Name.Space == "DAV:" && start.Name.Local == "response":
			var resp davResponse
			if err := dec.DecodeElement(&resp, &start); err != nil {
				return nil, ErrBadMultistatus
			}
			if fi, ok := childInfo(resp, dirPath); ok {
				out = append(out, fi)
			}
		default:
			if err := dec.Skip(); err != nil {
				return nil, ErrBadMultistatus
			}
		}
	}
	if !sawRoot {
		return nil, ErrBadMultistatus
	}
	return out, nil
}

// childInfo turns one response into a FileInfo if it names a direct child.
func childInfo(resp davResponse, dirPath string) (os.FileInfo, bool) {
	u, err := url.Parse(strings.TrimSpace(resp.Href))
	if err != nil || u.Path == "" {
		return nil, false
	}
	p := path.Clean("/" + u.Path)
	name := path.Base(p)
	if p == dirPath || path.Dir(p) != dirPath || name == "/" || name == "." || name == ".." || strings.ContainsRune(name, 0) {
		return nil, false
	}
	fi := &fileInfo{name: name}
	for _, ps := range resp.Propstat {
		if ps.Status != "" && !strings.Contains(ps.Status, " 200") {
			continue
		}
		fi.dir = fi.dir || ps.Prop.Type.Collection != nil
		if n, err := strconv.ParseInt(strings.TrimSpace(ps.Prop.Length), 10, 64); err == nil && n >= 0 {
			fi.size = n
		}
		if t, err := http.ParseTime(strings.TrimSpace(ps.Prop.Modified)); err == nil {
			fi.mod = t
		}
	}
	if fi.dir {
		fi.size = 0
	}
	return fi, true
}

// fileInfo is one entry of a listing.
type fileInfo struct {
	name string
	size int64
	mod  time.Time
	dir  bool
}

func (f *fileInfo) Name() string       { return f.name }
func (f *fileInfo) Size() int64        { return f.size }
func (f *fileInfo) ModTime() time.Time { return f.mod }
func (f *fileInfo) IsDir() bool        { return f.dir }
func (f *fileInfo) Sys() any           { return nil }
func (f *fileInfo) Mode() fs.FileMode {
	if f.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
