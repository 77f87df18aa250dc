package transport

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Quota is an area's storage, from RFC 4331 properties.
type Quota struct {
	Used, Available int64
	Known           bool // false when the server does not report quota
}

// ErrBadMultistatus is a PROPFIND answer that is not usable WebDAV XML.
var ErrBadMultistatus = errors.New("the server's answer to a folder listing is not valid WebDAV (empty or malformed XML); " +
	"the address may point to a web page instead of a WebDAV folder, or the server had a fault: try again later")

const quotaPropfind = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`

// Quota asks the area root for its quota with PROPFIND Depth 0. It also
// proves the area exists and the credentials open it.
func (c *Client) Quota(ctx context.Context) (Quota, error) {
	req, err := http.NewRequestWithContext(ctx, "PROPFIND", c.URL("/"), strings.NewReader(quotaPropfind))
	if err != nil {
		return Quota{}, err
	}
	req.Header.Set("Depth", "0")
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	resp, err := c.http.Do(req)
	if err != nil {
		return Quota{}, c.netError("PROPFIND", "/", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		return Quota{}, &StatusError{Op: "PROPFIND", Path: "/", Code: resp.StatusCode}
	}
	return parseQuota(io.LimitReader(resp.Body, 1<<20))
}

// parseQuota reads the first quota values in a multistatus answer, tolerant
// of prefixes and extra elements, strict about the document being one.
func parseQuota(r io.Reader) (Quota, error) {
	dec := xml.NewDecoder(r)
	var q Quota
	var inQuota string
	sawMultistatus, haveUsed, haveAvail := false, false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Quota{}, ErrBadMultistatus
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == "DAV:" {
				switch t.Name.Local {
				case "multistatus":
					sawMultistatus = true
				case "quota-used-bytes", "quota-available-bytes":
					inQuota = t.Name.Local
				}
			}
		case xml.CharData:
			n, err := strconv.ParseInt(strings.TrimSpace(string(t)), 10, 64)
			switch {
			case err != nil || n < 0:
			case inQuota == "quota-used-bytes" && !haveUsed:
				q.Used, haveUsed = n, true
			case inQuota == "quota-available-bytes" && !haveAvail:
				q.Available, haveAvail = n, true
			}
		case xml.EndElement:
			inQuota = ""
		}
	}
	if !sawMultistatus {
		return Quota{}, ErrBadMultistatus
	}
	q.Known = haveUsed && haveAvail
	return q, nil
}
