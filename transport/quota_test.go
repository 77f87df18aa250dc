package transport

import (
	"errors"
	"strings"
	"testing"
)

func TestParseQuota(t *testing.T) {
	cases := []struct {
		name, body string
		want       Quota
		err        error
	}{
		{"apache style", `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/</D:href><D:propstat><D:prop><D:quota-available-bytes>100</D:quota-available-bytes><D:quota-used-bytes>23</D:quota-used-bytes></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`, Quota{Used: 23, Available: 100, Known: true}, nil},
		{"other prefix", `<a:multistatus xmlns:a="DAV:"><a:response><a:propstat><a:prop><a:quota-used-bytes> 5 </a:quota-used-bytes><a:quota-available-bytes>7</a:quota-available-bytes></a:prop></a:propstat></a:response></a:multistatus>`, Quota{Used: 5, Available: 7, Known: true}, nil},
		{"not reported", `<D:multistatus xmlns:D="DAV:"><D:response><D:propstat><D:prop><D:quota-used-bytes/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response></D:multistatus>`, Quota{}, nil},
		{"empty body", ``, Quota{}, ErrBadMultistatus},
		{"html page", `<html><body>Welcome</body></html>`, Quota{}, ErrBadMultistatus},
		{"truncated", `<D:multistatus xmlns:D="DAV:"><D:response>`, Quota{}, ErrBadMultistatus},
	}
	for _, c := range cases {
		got, err := parseQuota(strings.NewReader(c.body))
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("%s: got %+v, %v; want %+v, %v", c.name, got, err, c.want, c.err)
		}
	}
}
