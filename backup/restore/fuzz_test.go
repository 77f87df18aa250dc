package restore

import (
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// Whatever name a server gives, an accepted one lands inside the
// destination on every OS: local, plain, without drive or separator tricks.
// ("0:" is accepted: a colon is legal in Linux and macOS names, and on
// Windows a non-letter before it is no drive; testdata keeps that seed.)
func FuzzCheckRel(f *testing.F) {
	for _, s := range []string{"a.txt", "dir/b c.txt", "../x", "/etc/passwd", "C:/x", `a\b`, "a/./b", "a//b", "nul\x00", ".", "..", "日本/é.txt", "c:x", "a/"} {
		f.Add(s, "../x")
	}
	f.Fuzz(func(t *testing.T, p, target string) {
		if CheckRel(p) == nil {
			if !filepath.IsLocal(filepath.FromSlash(p)) || path.Clean(p) != p || strings.ContainsAny(p, "\\\x00") {
				t.Fatalf("CheckRel accepted %q", p)
			}
			for _, seg := range strings.Split(p, "/") {
				drive := len(seg) >= 2 && seg[1] == ':' && (seg[0]|0x20 >= 'a' && seg[0]|0x20 <= 'z')
				if seg == ".." || seg == "." || seg == "" || drive {
					t.Fatalf("CheckRel accepted %q (segment %q)", p, seg)
				}
			}
			if CheckLink(p, target) == nil {
				if j := path.Join(path.Dir(p), target); !filepath.IsLocal(filepath.FromSlash(j)) {
					t.Fatalf("CheckLink accepted %q -> %q, which resolves to %q", p, target, j)
				}
			}
		}
		if err := CheckRel(p); err != nil && err.Error() == "" {
			t.Fatal("a refusal without a reason")
		}
	})
}
