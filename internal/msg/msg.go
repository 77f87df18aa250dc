// Package msg is the sentences Kumo's engine side writes for people (the
// service's status lines, sizes and times in words, later the command
// line) in the language in use. The English text is the key, as in the UI;
// ja.json holds the Japanese. It imports nothing of the UI toolkit, so the
// service and the CLI can use it.
package msg

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
)

//go:embed ja.json
var jaJSON []byte

var current atomic.Pointer[catalog]

type catalog struct {
	lang  string
	words map[string]string
}

// Use switches to code's language ("ja"; anything else is English).
func Use(code string) {
	if code != "ja" {
		current.Store(nil)
		return
	}
	words := map[string]string{}
	if err := json.Unmarshal(jaJSON, &words); err != nil {
		panic("msg: ja.json: " + err.Error()) // embedded and tested: cannot happen at run time
	}
	current.Store(&catalog{lang: "ja", words: words})
}

// Lang is the language in use: "en" or "ja".
func Lang() string {
	if c := current.Load(); c != nil {
		return c.lang
	}
	return "en"
}

// T is key in the language in use; with args its translation is a fmt
// format (a translation may reorder them: %[2]s).
func T(key string, args ...any) string {
	s := key
	if c := current.Load(); c != nil {
		if w, ok := c.words[key]; ok {
			s = w
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// FromEnv is the language the environment asks for, as POSIX reads it:
// LANGUAGE (a list), then LC_ALL, LC_MESSAGES and LANG; "ja" or "en".
func FromEnv(getenv func(string) string) string {
	for _, name := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		first := strings.SplitN(v, ":", 2)[0]
		if strings.HasPrefix(first, "ja") {
			return "ja"
		}
		return "en"
	}
	return "en"
}
