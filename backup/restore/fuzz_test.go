package restore

import (
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Whatever name a server gives, an accepted one lands inside the
// destination: local and plain as it is (Linux, macOS), and, as Windows'
// rules write it, without a backslash, a colon (drive or stream), a
// reserved device name or a trailing dot or space Windows would drop.
func FuzzCheckRel(f *testing.F) {
	for _, s := range []string{"a.txt", "dir/b c.txt", "../x", "/etc/passwd", "C:/x", `a\b`, "a/./b", "a//b", "nul\x00", ".", "..", "日本/é.txt", "c:x", "a/",
		"CON", "aux.txt", "trail.", "trail ", `..\x`, "LPT¹.txt"} {
		f.Add(s, "../x")
	}
	f.Fuzz(func(t *testing.T, p, target string) {
		if CheckRel(p) == nil {
			if path.Clean(p) != p || strings.ContainsRune(p, 0) || runtime.GOOS != "windows" && !filepath.IsLocal(p) {
				t.Fatalf("CheckRel accepted %q", p)
			}
			w := planNames(Rules{Windows: true, CaseInsensitive: true}, []string{p}).written(p)
			if strings.ContainsAny(w, "\\:") || path.Clean(w) != w || !filepath.IsLocal(filepath.FromSlash(w)) {
				t.Fatalf("%q is written as %q under Windows' rules", p, w)
			}
			for _, seg := range strings.Split(w, "/") {
				base, _, _ := strings.Cut(seg, ".")
				if seg == ".." || seg == "." || seg == "" || strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " ") || windowsReserved[strings.ToUpper(strings.TrimRight(base, " "))] {
					t.Fatalf("%q is written as %q under Windows' rules (segment %q)", p, w, seg)
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
