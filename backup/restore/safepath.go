package restore

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// CheckRel accepts a path from a catalog only if, written under any
// destination, it stays inside that destination. The error is a sentence
// naming what is wrong, for the summary. A backslash or a colon is part of
// a name (Linux and macOS allow both): where Windows' rules apply they are
// written full-width (see Rules), so they never act as a separator or drive.
func CheckRel(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("the server lists a file with an empty name; it was not restored")
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("the server lists a name with a NUL byte (%q); it was not restored", p)
	case !utf8.ValidString(p):
		return fmt.Errorf("the server lists a name that is not valid UTF-8 (%q); it was not restored", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("the server lists an absolute path (%q); it was not restored, as it would land outside the destination", p)
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("the server lists a name with an empty folder (%q); it was not restored", p)
		case ".":
			return fmt.Errorf("the server lists a name that is not in plain form (%q); it was not restored", p)
		case "..":
			return fmt.Errorf("the server lists a name with \"..\" in it (%q); it was not restored, as it would lead outside the destination", p)
		}
	}
	if path.Clean(p) != p {
		return fmt.Errorf("the server lists a name that is not in plain form (%q); it was not restored", p)
	}
	return nil
}

// hasDrive reports a Windows drive ("C:") or stream ("file:stream") prefix
// in any segment: either would change where Windows writes.
func hasDrive(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if len(seg) >= 2 && seg[1] == ':' && (seg[0]|0x20 >= 'a' && seg[0]|0x20 <= 'z') {
			return true
		}
	}
	return false
}

// CheckLink accepts a symbolic link only if its target, read from the
// link's folder, stays inside the destination.
func CheckLink(rel, target string) error {
	switch {
	case target == "" || strings.ContainsRune(target, 0):
		return fmt.Errorf("the link %s has an invalid target; it was not restored", rel)
	case strings.HasPrefix(target, "/") || strings.Contains(target, `\`) || hasDrive(target):
		return fmt.Errorf("the link %s points to %q, outside the destination; it was not restored", rel, target)
	}
	resolved := path.Join(path.Dir(rel), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("the link %s points to %q, outside the destination; it was not restored", rel, target)
	}
	return nil
}

// CheckName accepts one path segment from the server (a device or folder name).
func CheckName(name string) error {
	if err := CheckRel(name); err != nil {
		return err
	}
	if strings.Contains(name, "/") {
		return fmt.Errorf("the server lists a folder name with a slash (%q); it was not used", name)
	}
	if strings.Contains(name, `\`) || hasDrive(name) { // device and folder names go into local paths as they are
		return fmt.Errorf("the server lists a folder name with a backslash or a drive letter (%q); it was not used", name)
	}
	return nil
}
