//go:build !windows

package restore_test

import (
	"bufio"
	"context"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/testenv"
	"golang.org/x/text/unicode/norm"
)

// readRenamings parses the list a restore left, as a person's script would.
func readRenamings(t *testing.T, file string) [][2]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			t.Fatalf("a line of the list is not 3 fields: %q", sc.Text())
		}
		for i := range 2 {
			if strings.HasPrefix(fields[i], `"`) {
				fields[i], err = strconv.Unquote(fields[i])
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		out = append(out, [2]string{fields[0], fields[1]})
	}
	return out
}

// A backup holding CON, aux.txt, a:b.txt, trailing dots and spaces, a.txt
// beside A.txt, NFC beside NFD and a 300-character path, restored under
// Windows' rules and under macOS' (simulated on Linux): every file
// arrives, no two land on one name, every renaming is said before the
// restore, in its summary and in a list beside the tree, and undoing the
// list gives back the backup's tree exactly. Under Linux' rules nothing
// is renamed and no list is left.
func TestRestoreOntoOtherSystemsRules(t *testing.T) {
	client, _ := emulatorClient(t)
	src := filepath.Join(testenv.TempDir(t), "Mixed")
	for _, name := range testenv.WindowsAwkwardNames() {
		write(t, src, name, testenv.AwkwardContent(name), 0o644)
	}
	if err := os.MkdirAll(filepath.Join(src, "aux"), 0o755); err != nil { // an empty folder with a device's name
		t.Fatal(err)
	}
	if sum, err := backup.RunOnce(context.Background(), client, backup.Options{Root: src, Device: "linux", IndexPath: filepath.Join(testenv.TempDir(t), "ix")}); err != nil || len(sum.Failed) > 0 {
		t.Fatal(err, sum)
	}
	for _, c := range []struct {
		name    string
		rules   restore.Rules
		renamed []string // must be among the renamings
	}{
		{"windows", restore.Rules{Windows: true, CaseInsensitive: true},
			[]string{"CON", "aux.txt", "a:b.txt", "trail.", "trail ", "a.txt", "docs", "q?", "aux"}},
		{"macos", restore.Rules{CaseInsensitive: true, Normalizing: true},
			[]string{"a.txt", "docs", slices.Max([]string{norm.NFC.String("café.txt"), norm.NFD.String("café.txt")})}},
		{"linux", restore.Rules{}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := restore.Open(context.Background(), client, "linux", "Mixed", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			to := filepath.Join(testenv.TempDir(t), "back")
			preview, _, err := v.Renamings(to, nil, &c.rules)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(to); !os.IsNotExist(err) {
				t.Errorf("asking for the renamings created the destination: %v", err)
			}
			sum, err := v.Restore(context.Background(), restore.Options{To: to, Rules: &c.rules})
			if err != nil || len(sum.Failed)+len(sum.Skipped)+len(sum.Refused) > 0 {
				t.Fatalf("%v; failed %v skipped %v refused %v", err, sum.Failed, sum.Skipped, sum.Refused)
			}
			if sum.Restored != len(testenv.WindowsAwkwardNames()) {
				t.Errorf("%d files restored, the backup has %d", sum.Restored, len(testenv.WindowsAwkwardNames()))
			}
			if !slices.Equal(preview, sum.Renamings) {
				t.Errorf("the renamings said before the restore differ from those done:\n%v\n%v", preview, sum.Renamings)
			}
			from := map[string]bool{}
			for _, r := range sum.Renamings {
				from[r.From] = true
				if r.Why == 0 || len(r.Why.Reasons()) == 0 {
					t.Errorf("%s → %s: no reason given", r.From, r.To)
				}
			}
			for _, want := range c.renamed {
				if !from[want] {
					t.Errorf("%q is not among the renamings %v", want, sum.Renamings)
				}
			}
			assertNamesFit(t, to, c.rules)
			if len(c.renamed) == 0 {
				if len(sum.Renamings) != 0 || sum.ListFile != "" {
					t.Errorf("renamed under Linux' rules: %v (list %q)", sum.Renamings, sum.ListFile)
				}
				testenv.AssertSameTree(t, src, to)
				return
			}
			// The backup's own file of that name is restored; the list takes another.
			if sum.ListFile != filepath.Join(to, "Kumo renamed files (2).tsv") {
				t.Fatalf("the list of renamings is at %q, want it in %s beside the restored file of its name", sum.ListFile, to)
			}
			list := readRenamings(t, sum.ListFile)
			if len(list) != len(sum.Renamings) {
				t.Errorf("the list has %d renamings, the summary %d", len(list), len(sum.Renamings))
			}
			// Undo, deepest first, on Linux (which takes every name): the
			// backup's tree comes back exactly.
			sort.Slice(list, func(i, j int) bool { return strings.Count(list[i][0], "/") > strings.Count(list[j][0], "/") })
			for _, r := range list {
				written := filepath.Join(to, filepath.FromSlash(r[0]))
				if err := os.Rename(written, filepath.Join(filepath.Dir(written), path.Base(r[1]))); err != nil {
					t.Fatal(err)
				}
			}
			os.Remove(sum.ListFile)
			testenv.AssertSameTree(t, src, to)
		})
	}
}

// assertNamesFit checks every name under root as the rules see them: none
// Windows refuses, and no two in a folder that the disk takes for one.
func assertNamesFit(t *testing.T, root string, rules restore.Rules) {
	t.Helper()
	filepathWalk(t, root, func(dir string, names []string) {
		seen := map[string]string{}
		for _, n := range names {
			key := n
			if rules.Normalizing {
				key = norm.NFC.String(key)
			}
			if rules.CaseInsensitive {
				key = strings.ToLower(key)
			}
			if other, ok := seen[key]; ok {
				t.Errorf("in %s, %q and %q are one name under these rules", dir, other, n)
			}
			seen[key] = n
			if !rules.Windows {
				continue
			}
			base, _, _ := strings.Cut(n, ".")
			switch {
			case strings.ContainsAny(n, `<>:"\|?*`), strings.HasSuffix(n, "."), strings.HasSuffix(n, " "):
				t.Errorf("%s/%s: a name Windows refuses", dir, n)
			case slices.Contains([]string{"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}, strings.ToUpper(base)):
				t.Errorf("%s/%s: a device name", dir, n)
			}
		}
	})
}

func filepathWalk(t *testing.T, root string, fn func(dir string, names []string)) {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if e.IsDir() {
			filepathWalk(t, filepath.Join(root, e.Name()), fn)
		}
	}
	fn(root, names)
}
