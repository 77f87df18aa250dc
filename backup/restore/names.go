package restore

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Rules are what the destination's file system accepts as names. A backup
// made on Linux may hold names Windows refuses (CON, a:b, a trailing dot)
// or names that a case-insensitive or normalising disk takes for one
// (a.txt and A.txt; NFC and NFD forms, as macOS writes them).
type Rules struct {
	Windows         bool // reserved device names, <>:"\|?* and control characters, no trailing dot or space
	CaseInsensitive bool // a.txt and A.txt are one name
	Normalizing     bool // the NFC and NFD forms of a name are one name
}

func (r Rules) String() string {
	var parts []string
	if r.Windows {
		parts = append(parts, "Windows names")
	}
	if r.CaseInsensitive {
		parts = append(parts, "case-insensitive")
	}
	if r.Normalizing {
		parts = append(parts, "Unicode-normalising")
	}
	if len(parts) == 0 {
		return "any name"
	}
	return strings.Join(parts, ", ")
}

// DetectRules finds out what the destination accepts by trying it: a probe
// folder beside what is there, a file in it asked for in the other case and
// the other normal form, a name with a colon. Where dir does not exist yet
// its nearest existing parent is probed, so asking creates nothing.
func DetectRules(dir string) (Rules, error) {
	r := Rules{Windows: runtime.GOOS == "windows"}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return r, err
	}
	for {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return r, fmt.Errorf("no folder of %s exists to find out what names it takes", dir)
		}
		dir = parent
	}
	probe, err := os.MkdirTemp(dir, ".kumo-probe-")
	if err != nil {
		return r, fmt.Errorf("cannot try names in %s: %w", dir, err)
	}
	var made []string
	defer func() { // one by one: Wine's os.RemoveAll fails on its Windows path
		for i := len(made) - 1; i >= 0; i-- {
			os.Remove(made[i])
		}
		os.Remove(probe)
	}()
	create := func(name string) error {
		p := filepath.Join(probe, name)
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		made = append(made, p)
		return f.Close()
	}
	exists := func(name string) bool {
		_, err := os.Lstat(filepath.Join(probe, name))
		return err == nil
	}
	if err := create("kumo-probe-a"); err != nil {
		return r, fmt.Errorf("cannot try names in %s: %w", dir, err)
	}
	r.CaseInsensitive = exists("KUMO-PROBE-A")
	if err := create("\u00e9"); err == nil { // é, composed (NFC)
		r.Normalizing = exists("e\u0301") // the same, decomposed (NFD)
	}
	if !r.Windows && create("a:b") != nil {
		r.Windows = true // a FAT or NTFS disk mounted on Linux or macOS
	}
	return r, nil
}

// Renaming is a name written differently from the backup's, and why.
type Renaming struct {
	From string // the path in the backup
	To   string // the path written, relative to the destination
	Why  Why
}

// Why says what made a name change; one renaming may have several reasons.
type Why int

const (
	// WindowsChars: < > : " \ | ? * or control characters, written full-width.
	WindowsChars Why = 1 << iota
	// TrailingDot: a name ending with a dot or a space, which Windows drops.
	TrailingDot
	// DeviceName: CON, PRN, AUX, NUL, COM1… or LPT1…, with any extension.
	DeviceName
	// NameClash: another name in the folder differs only in case or
	// Unicode form, which the destination takes for the same.
	NameClash
)

// Reasons are the sentences for each reason of w, in English.
func (w Why) Reasons() []string {
	var out []string
	for _, r := range []struct {
		bit  Why
		text string
	}{
		{WindowsChars, `has characters Windows does not allow in names (< > : " \ | ? * or control characters), written full-width`},
		{TrailingDot, "ends with a dot or a space, which Windows drops"},
		{DeviceName, "is a name Windows keeps for a device, written with its first letter full-width"},
		{NameClash, "differs only in case or Unicode form from another name in its folder, which the destination takes for the same"},
	} {
		if w&r.bit != 0 {
			out = append(out, r.text)
		}
	}
	return out
}

func (w Why) String() string { return strings.Join(w.Reasons(), "; ") }

// windowsReserved are names Windows keeps for devices, whatever follows a dot.
var windowsReserved = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM¹": true, "COM²": true, "COM³": true, "LPT¹": true, "LPT²": true, "LPT³": true}

func init() {
	for _, p := range []string{"COM", "LPT"} {
		for d := '0'; d <= '9'; d++ {
			windowsReserved[p+string(d)] = true
		}
	}
}

// fullWidth maps what Windows refuses in a name to the full-width form a
// reader still recognises (rclone's encoding does the same).
var fullWidth = map[rune]rune{'<': '＜', '>': '＞', ':': '：', '"': '＂', '\\': '＼', '|': '｜', '?': '？', '*': '＊'}

// windowsName returns name as Windows can hold it, and why it changed (0 when not).
func windowsName(name string) (string, Why) {
	var why Why
	out := []rune(name)
	for i, r := range out {
		if w, ok := fullWidth[r]; ok {
			out[i], why = w, why|WindowsChars
		} else if r < 0x20 {
			out[i], why = 0x2400+r, why|WindowsChars // the control picture: ␉ for a tab
		}
	}
	if n := len(out); n > 0 && (out[n-1] == '.' || out[n-1] == ' ') {
		if out[n-1] == '.' {
			out[n-1] = '．'
		} else {
			out[n-1] = '␠'
		}
		why |= TrailingDot
	}
	base, _, _ := strings.Cut(string(out), ".")
	if windowsReserved[strings.ToUpper(strings.TrimRight(base, " "))] {
		out[0] += 'Ａ' - 'A' // full-width first letter: ＣON, ａux.txt
		why |= DeviceName
	}
	if why == 0 {
		return name, 0
	}
	return string(out), why
}

// nameKey is what the destination compares names by.
func (r Rules) nameKey(name string) string {
	if r.Normalizing {
		name = norm.NFC.String(name)
	}
	if r.CaseInsensitive {
		name = cases.Fold().String(name)
	}
	return name
}

// namePlan maps each path of a restore to the path it is written as.
type namePlan struct {
	rules     Rules
	placed    map[string]string          // a path in the backup (file or folder) -> as written
	used      map[string]map[string]bool // a written folder -> the keys of names in it
	renamings []Renaming
}

// planNames works out, before anything is written, how every path of the
// restore is written under rules: names the destination refuses get a
// readable substitute, and names it would take for one another (case,
// normal form) all but the first in byte order a " (2)" before their
// extension, so no file overwrites another. Every change is a Renaming.
func planNames(rules Rules, paths []string) *namePlan {
	np := &namePlan{rules: rules, placed: map[string]string{"": ""}, used: map[string]map[string]bool{}}
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	for _, p := range sorted {
		np.place(p)
	}
	sort.Slice(np.renamings, func(i, j int) bool { return np.renamings[i].From < np.renamings[j].From })
	return np
}

// place returns p as written, placing its folders first.
func (np *namePlan) place(p string) string {
	if w, ok := np.placed[p]; ok {
		return w
	}
	parent, name := parentOf(p), path.Base(p)
	wParent := np.place(parent)
	written, why := name, Why(0)
	if np.rules.Windows {
		written, why = windowsName(name)
	}
	used := np.used[wParent]
	if used == nil {
		used = map[string]bool{}
		np.used[wParent] = used
	}
	if key := np.rules.nameKey(written); used[key] {
		stem, ext := splitExt(written)
		for n := 2; ; n++ {
			try := fmt.Sprintf("%s (%d)%s", stem, n, ext)
			if !used[np.rules.nameKey(try)] {
				written = try
				break
			}
		}
		why |= NameClash
	}
	used[np.rules.nameKey(written)] = true
	w := path.Join(wParent, written)
	np.placed[p] = w
	if why != 0 {
		np.renamings = append(np.renamings, Renaming{From: p, To: w, Why: why})
	}
	return w
}

// splitExt splits "report.final.pdf" into "report.final" and ".pdf"; a
// name that starts with its only dot has no extension.
func splitExt(name string) (string, string) {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[:i], name[i:]
	}
	return name, ""
}

// written is p as the plan writes it.
func (np *namePlan) written(p string) string {
	if w, ok := np.placed[p]; ok {
		return w
	}
	return p
}

// RenamingsFile is the list of renamings a restore leaves in its destination.
const RenamingsFile = "Kumo renamed files.tsv"

// destinationRules are the rules given, or found by trying to; Windows'
// own always apply on Windows, where ":" and "\" would change the path.
func destinationRules(to string, given *Rules) (Rules, error) {
	var rules Rules
	if given != nil {
		rules = *given
	} else {
		var err error
		if rules, err = DetectRules(to); err != nil {
			return rules, err
		}
	}
	rules.Windows = rules.Windows || runtime.GOOS == "windows"
	return rules, nil
}

func pathsOf(lists ...[]File) []string {
	var out []string
	for _, l := range lists {
		for _, f := range l {
			out = append(out, f.Path)
		}
	}
	return out
}

// Renamings says, before a restore into to starts, which of the selected
// paths will be written under another name there and why (rules nil: found
// by trying the destination, as Restore does).
func (v *View) Renamings(to string, paths []string, rules *Rules) ([]Renaming, Rules, error) {
	r, err := destinationRules(to, rules)
	if err != nil {
		return nil, r, err
	}
	return planNames(r, pathsOf(v.Select(paths), v.SelectFolders(paths))).renamings, r, nil
}

// listName is the renamings file's name in the destination's top folder,
// one the restore does not use itself.
func (np *namePlan) listName() string {
	name := RenamingsFile
	stem, ext := splitExt(name)
	for n := 2; np.used[""][np.rules.nameKey(name)]; n++ {
		name = fmt.Sprintf("%s (%d)%s", stem, n, ext)
	}
	return name
}

// tsvField writes a name as it is unless a tab, a line break or a leading
// quote would make the line ambiguous: then Go-quoted (strconv.Unquote reads it).
func tsvField(s string) string {
	if strings.ContainsAny(s, "\t\n\r") || strings.HasPrefix(s, `"`) {
		return strconv.Quote(s)
	}
	return s
}

// writeRenamings leaves the list of renamings in the destination as
// tab-separated lines (written, original, why), so each can be undone.
func (r *run) writeRenamings() error {
	var b strings.Builder
	header := r.opts.ListHeader
	if header == "" {
		header = "restored as\tnamed in the backup\twhy"
	}
	b.WriteString(header + "\n")
	explain := r.opts.Explain
	if explain == nil {
		explain = Why.String
	}
	for _, rn := range r.sum.Renamings {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", tsvField(rn.To), tsvField(rn.From), explain(rn.Why))
	}
	name := r.names.listName()
	f, err := r.root.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(b.String())
	if err = errors.Join(err, f.Close()); err == nil {
		r.sum.ListFile = filepath.Join(r.sum.To, name)
	}
	return err
}
