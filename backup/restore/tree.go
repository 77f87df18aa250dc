package restore

import (
	"sort"
	"strings"
)

// Node is one entry of a folder in a snapshot, for a tree browser.
type Node struct {
	Name  string
	Path  string // relative to the backed-up folder
	IsDir bool
	Size  int64 // a folder's is the sum of its files
	Files int   // files inside a folder (1 for a file)
	File  *File // nil for a folder
}

// Children lists what folder dir ("" for the top) held, folders first.
func (v *View) Children(dir string) []Node {
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	start := sort.Search(len(v.Files), func(i int) bool { return v.Files[i].Path >= prefix })
	byName := map[string]*Node{}
	var order []string
	for i := start; i < len(v.Files) && strings.HasPrefix(v.Files[i].Path, prefix); i++ {
		f := &v.Files[i]
		name, _, isDir := strings.Cut(f.Path[len(prefix):], "/")
		n, ok := byName[name]
		if !ok {
			n = &Node{Name: name, Path: prefix + name, IsDir: isDir}
			if !isDir {
				n.File = f
			}
			byName[name] = n
			order = append(order, name)
		}
		n.Size += f.Size
		n.Files++
	}
	// Folders with no file in them are listed too.
	start = sort.Search(len(v.Folders), func(i int) bool { return v.Folders[i].Path >= prefix })
	for i := start; i < len(v.Folders) && strings.HasPrefix(v.Folders[i].Path, prefix); i++ {
		name, _, _ := strings.Cut(v.Folders[i].Path[len(prefix):], "/")
		if _, ok := byName[name]; !ok {
			byName[name] = &Node{Name: name, Path: prefix + name, IsDir: true}
			order = append(order, name)
		}
	}
	nodes := make([]Node, 0, len(order))
	for _, name := range order {
		nodes = append(nodes, *byName[name])
	}
	sort.SliceStable(nodes, func(i, j int) bool {
		if nodes[i].IsDir != nodes[j].IsDir {
			return nodes[i].IsDir
		}
		return strings.ToLower(nodes[i].Name) < strings.ToLower(nodes[j].Name)
	})
	return nodes
}

// Search returns the files whose path contains every word of query, the
// way a person means it: ignoring case, the normal form (NFC or NFD), full-
// and half-width forms, and katakana against hiragana.
func (v *View) Search(query string, limit int) []File {
	words := strings.Fields(fold(query))
	folded := v.foldedPaths()
	var out []File
	for i, f := range v.Files {
		match := true
		for _, w := range words {
			if !strings.Contains(folded[i], w) {
				match = false
				break
			}
		}
		if match {
			out = append(out, f)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out
}

// foldedPaths are the files' paths as search compares them, folded once.
func (v *View) foldedPaths() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.folded) != len(v.Files) {
		v.folded = make([]string, len(v.Files))
		for i, f := range v.Files {
			v.folded[i] = fold(f.Path)
		}
	}
	return v.folded
}

// Select returns the files at or under any of paths (files or folders);
// no paths selects everything.
func (v *View) Select(paths []string) []File { return selectPaths(v.Files, paths) }

// SelectFolders returns the recorded folders that paths select, as Select
// does for files.
func (v *View) SelectFolders(paths []string) []File { return selectPaths(v.Folders, paths) }

func selectPaths(all []File, paths []string) []File {
	if len(paths) == 0 {
		return all
	}
	var out []File
	for _, f := range all {
		for _, p := range paths {
			p = strings.Trim(p, "/")
			if p == "" || f.Path == p || strings.HasPrefix(f.Path, p+"/") {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// Total sums the sizes of files.
func Total(files []File) (n int, bytes int64) {
	for _, f := range files {
		bytes += f.Size
	}
	return len(files), bytes
}
