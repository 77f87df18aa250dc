package restore

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/kumo-backup/kumo/internal/testenv"
)

// Trying the destination's names leaves nothing behind and creates no
// folder; on Linux's own file systems every name is taken as it is.
func TestDetectRulesLeavesNothing(t *testing.T) {
	dir := testenv.TempDir(t)
	to := filepath.Join(dir, "not", "yet")
	rules, err := DetectRules(to)
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("trying names left %v in the destination's parent", entries)
	}
	if runtime.GOOS == "linux" && rules != (Rules{}) {
		t.Errorf("a Linux temporary folder was found to be %s", rules)
	}
	if runtime.GOOS == "windows" && (!rules.Windows || !rules.CaseInsensitive) {
		t.Errorf("a Windows folder was found to be %s", rules)
	}
}
