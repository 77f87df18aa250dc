package msg

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// users are the packages whose sentences go through T.
var users = []string{"../service", "../human", "../cli", "../session"}

// keysUsed are the texts passed to msg.T: literals, or literals joined by +.
func keysUsed(t *testing.T) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	fset := token.NewFileSet()
	var constant func(e ast.Expr) (string, bool)
	constant = func(e ast.Expr) (string, bool) {
		switch v := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(v.Value)
			return s, err == nil && v.Kind == token.STRING
		case *ast.BinaryExpr:
			x, ok1 := constant(v.X)
			y, ok2 := constant(v.Y)
			return x + y, ok1 && ok2 && v.Op == token.ADD
		}
		return "", false
	}
	for _, dir := range users {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok || len(c.Args) == 0 {
					return true
				}
				sel, ok := c.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "T" {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "msg" {
					return true
				}
				s, ok := constant(c.Args[0])
				if !ok {
					t.Errorf("%s: msg.T's text must be a literal, so its translation can be checked", fset.Position(c.Pos()))
					return true
				}
				keys[s] = true
				return true
			})
		}
	}
	return keys
}

// ja.json holds exactly the sentences the service and human ask for, each
// with the same format verbs as its English.
func TestJapaneseCoversEverySentence(t *testing.T) {
	var ja map[string]string
	if err := json.Unmarshal(jaJSON, &ja); err != nil {
		t.Fatal(err)
	}
	used := keysUsed(t)
	for k := range used {
		v, ok := ja[k]
		if !ok || strings.TrimSpace(v) == "" {
			t.Errorf("ja.json lacks %q", k)
			continue
		}
		if verbs(k) != verbs(v) {
			t.Errorf("%q: the translation's verbs %s differ from the English %s", k, verbs(v), verbs(k))
		}
	}
	for k := range ja {
		if !used[k] {
			t.Errorf("ja.json has %q, which no code asks for", k)
		}
	}
}

// verbs lists a format's verbs in argument order, indexes resolved; %q
// counts as %s (a translation may quote in its own way: 「%s」).
func verbs(format string) string {
	var out []string
	next := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		arg := next
		index := func() {
			if i < len(format) && format[i] == '[' {
				if end := strings.IndexByte(format[i:], ']'); end > 0 {
					arg, _ = strconv.Atoi(format[i+1 : i+end])
					i += end + 1
				}
			}
		}
		index()
		for i < len(format) && strings.IndexByte("0123456789.+-# ", format[i]) >= 0 {
			i++
		}
		index()
		if i >= len(format) || !(format[i] >= 'a' && format[i] <= 'z' || format[i] >= 'A' && format[i] <= 'Z') {
			continue // a lone % in plain text ("20%)"), not a verb
		}
		verb := format[i]
		if verb == 'q' {
			verb = 's'
		}
		out = append(out, strconv.Itoa(arg)+string(verb))
		next = arg + 1
	}
	sortStrings(out)
	return strings.Join(out, ",")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// T speaks the language chosen, and English otherwise; FromEnv reads the
// environment as POSIX does.
func TestUseAndFromEnv(t *testing.T) {
	defer Use("en")
	Use("ja")
	if got := T("Up to date"); got != "最新の状態です" {
		t.Errorf("in Japanese Up to date is %q", got)
	}
	if got := T("Backing up %s of %s files, %s left", "1", "2", "3 MiB"); !strings.Contains(got, "3 MiB") {
		t.Errorf("a formatted sentence lost an argument: %q", got)
	}
	Use("en")
	if got := T("Up to date"); got != "Up to date" {
		t.Errorf("in English Up to date is %q", got)
	}
	for env, want := range map[string]string{"LANG=ja_JP.UTF-8": "ja", "LANG=C": "en", "LANGUAGE=ja:en LANG=C": "ja",
		"LC_ALL=C LANG=ja_JP.UTF-8": "en", "": "en", "LC_MESSAGES=ja_JP.UTF-8": "ja"} {
		vars := map[string]string{}
		for _, kv := range strings.Fields(env) {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		if got := FromEnv(func(k string) string { return vars[k] }); got != want {
			t.Errorf("FromEnv(%s) = %s, want %s", env, got, want)
		}
	}
}
