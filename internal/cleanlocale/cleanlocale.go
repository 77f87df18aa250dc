// Package cleanlocale gives Fyne a locale it can parse before Fyne reads it.
//
// Fyne parses the user's locale in a package init and logs three error lines
// for "C" or "POSIX" (the default on servers and in systemd services), which
// would clutter every command-line run. Imported first by main, this init
// runs before Fyne's (Go initializes ready packages in import-path order, and
// fyne.io/fyne/v2/lang waits for github.com/nicksnyder/go-i18n, which sorts
// after this package); TestCLIWithPOSIXLocaleIsQuiet guards that.
package cleanlocale

import (
	"os"
	"strings"
)

func init() {
	for _, key := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(key)
		if v == "" {
			continue
		}
		if !plain(v) {
			return // a real locale decides
		}
		_ = os.Unsetenv(key)
	}
	_ = os.Setenv("LANG", "en_US.UTF-8") // what Fyne falls back to anyway
}

func plain(v string) bool {
	base, _, _ := strings.Cut(v, ".")
	return base == "C" || base == "POSIX"
}
