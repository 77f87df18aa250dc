// Package watcher tells the engine which paths in a chosen folder may have
// changed, using fsnotify (one watch per directory), filters and coalescing.
// It emits batches of "these paths may have changed" and "rescan this
// subtree", and sentences for the user when it must fall back to scanning.
// It knows nothing of uploads.
package watcher

import (
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// DefaultIgnores are files editors, browsers and systems make that nobody
// wants backed up: swap and lock files, half-finished downloads, folder
// thumbnails and settings.
var DefaultIgnores = []string{
	"4913", "*.swp", "*.swx", "*~", ".#*", "~$*", ".goutputstream-*",
	"*.part", "*.crdownload", ".DS_Store", "Thumbs.db", "desktop.ini",
}

// Filter decides which paths are left out, the same way for the scanner
// and the watcher. Patterns use gitignore syntax.
type Filter struct {
	m gitignore.Matcher
}

// NewFilter combines the defaults with a folder's own patterns (later
// patterns win, and "!pattern" brings a path back).
func NewFilter(userPatterns ...string) *Filter {
	var ps []gitignore.Pattern
	for _, p := range append(append([]string{}, DefaultIgnores...), userPatterns...) {
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(p, nil))
	}
	return &Filter{m: gitignore.NewMatcher(ps)}
}

// Ignored reports whether rel (slash-separated, relative to the folder) is
// left out. A path inside an ignored folder is ignored too.
func (f *Filter) Ignored(rel string, isDir bool) bool {
	if f == nil || rel == "." || rel == "" {
		return false
	}
	return f.m.Match(strings.Split(rel, "/"), isDir)
}
