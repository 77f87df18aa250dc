package cli_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// printed are the calls whose string arguments a person reads, by the
// argument that holds the words.
var printed = map[string][]int{
	"Fprintf": {1}, "Fprintln": {1, 2, 3}, "Fprint": {1, 2, 3}, "errorf": {1}, "newCmd": {2}, "connect": {0}, "tuning": {0},
	"StringVar": {3}, "BoolVar": {3}, "IntVar": {3}, "Int64Var": {3}, "DurationVar": {3},
	"String": {2}, "Bool": {2}, "Int": {2}, "Int64": {2}, "Duration": {2}, "Func": {1}, "Var": {2},
}

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*(\[\d+\])?[a-zA-Z]`)

// No message, usage or flag help of the command line bypasses msg.T: the
// words of every literal they print go through the translation.
func TestCLIWordsGoThroughTranslation(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
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
			if !ok {
				return true
			}
			var fn string
			switch v := c.Fun.(type) {
			case *ast.Ident:
				fn = v.Name
			case *ast.SelectorExpr:
				fn = v.Sel.Name
				if id, ok := v.X.(*ast.Ident); ok && id.Name == "msg" {
					return false
				}
			}
			for _, i := range printed[fn] {
				if i >= len(c.Args) {
					continue
				}
				lit, ok := c.Args[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, _ := strconv.Unquote(lit.Value)
				if regexp.MustCompile(`[A-Za-z]`).MatchString(verb.ReplaceAllString(s, "")) {
					t.Errorf("%s: %s(%s): words not translated (wrap them in msg.T)", fset.Position(lit.Pos()), fn, lit.Value)
				}
			}
			return true
		})
	}
}

// With a Japanese locale the help and a demo backup speak Japanese; with
// LANG=C they stay English.
func TestCLISpeaksTheLocalesLanguage(t *testing.T) {
	code, out, _ := run(t, map[string]string{"LANG": "ja_JP.UTF-8"}, "--help")
	if code != 0 || !strings.Contains(out, "使い方:") || !strings.Contains(out, "フォルダーを WebDAV サーバー") {
		t.Errorf("--help in Japanese: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, map[string]string{"LANG": "C"}, "--help")
	if code != 0 || !strings.Contains(out, "Usage:") || strings.Contains(out, "使い方") {
		t.Errorf("--help with LANG=C: exit %d\n%s", code, out)
	}
	isolate(t)
	src := filepath.Join(t.TempDir(), "写真")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "旅行.txt"), []byte("a trip"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, map[string]string{"LANG": "ja_JP.UTF-8"}, "backup", "--demo", src)
	if code != 0 || !strings.Contains(out, "デモ:") || !strings.Contains(out, "1 個のファイル") {
		t.Errorf("backup --demo in Japanese: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run(t, map[string]string{"LANG": "ja_JP.UTF-8"}, "backup", "--no-such-flag")
	if code != 2 || !strings.HasPrefix(errOut, "定義されていないフラグです: -no-such-flag\n使い方:") {
		t.Errorf("an unknown flag in Japanese: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, nil, "backup", "--no-such-flag")
	if code != 2 || !strings.HasPrefix(errOut, "flag provided but not defined: -no-such-flag\nUsage:") {
		t.Errorf("an unknown flag in English: exit %d\n%s", code, errOut)
	}
}
