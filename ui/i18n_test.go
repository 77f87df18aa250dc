package ui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/service"
)

// visibleCalls put their string arguments in front of a person.
var visibleCalls = map[string]bool{"NewLabel": true, "NewLabelWithStyle": true, "NewButton": true, "NewButtonWithIcon": true,
	"NewCheck": true, "NewFormItem": true, "NewMenuItem": true, "NewMenu": true, "NewNotification": true, "NewTabItem": true,
	"SetText": true, "SetPlaceHolder": true, "ShowConfirm": true, "ShowInformation": true, "NewCustomConfirm": true,
	"NewCustom": true, "ShowCustom": true, "NewConfirm": true, "NewWindow": true, "SetTitle": true, "setError": true,
	"notify": true, "hintOnce": true, "busy": true, "setStatus": true, "NewHyperlink": true, "NewSelect": true, "NewRadioGroup": true, "SetOptions": true,
	"NewCustomWithoutButtons": true, "ShowCustomConfirm": true, "NewInformation": true, "newStep": true, "SendNotification": true}

// userText is a literal a person reads: it has letters and is not an
// address, a path or a file name.
func userText(s string) bool {
	if strings.HasPrefix(s, "http") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "file:") || strings.HasSuffix(s, ".png") {
		return false
	}
	for _, r := range s {
		if (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') {
			return true
		}
	}
	return false
}

type uiSource struct {
	fset   *token.FileSet
	files  []*ast.File
	consts map[string]string // package-level string constants
}

func parseUI(t *testing.T) *uiSource {
	t.Helper()
	src := &uiSource{fset: token.NewFileSet(), consts: map[string]string{}}
	names, _ := filepath.Glob("*.go")
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(src.fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		src.files = append(src.files, f)
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								src.consts[n.Name], _ = strconv.Unquote(lit.Value)
							}
						}
					}
				}
			}
		}
	}
	return src
}

// constant is a string literal, a constant, or literals joined with +.
func (src *uiSource) constant(e ast.Expr) (string, bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(v.Value)
		return s, err == nil && v.Kind == token.STRING
	case *ast.Ident:
		s, ok := src.consts[v.Name]
		return s, ok
	case *ast.BinaryExpr:
		x, ok1 := src.constant(v.X)
		y, ok2 := src.constant(v.Y)
		return x + y, ok1 && ok2 && v.Op == token.ADD
	}
	return "", false
}

func callName(c *ast.CallExpr) string {
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		return fn.Sel.Name
	}
	return ""
}

// keys are the texts the UI passes to tr, as literals or constants.
func (src *uiSource) keys(t *testing.T) map[string]bool {
	keys := map[string]bool{}
	for _, f := range src.files {
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || callName(c) != "tr" || len(c.Args) == 0 {
				return true
			}
			switch a := c.Args[0].(type) {
			case *ast.BasicLit:
				s, _ := strconv.Unquote(a.Value)
				keys[s] = true
			case *ast.BinaryExpr:
				if s, ok := src.constant(a); ok {
					keys[s] = true
					return true
				}
				t.Errorf("%s: tr's text must be a literal or a constant", src.fset.Position(a.Pos()))
			case *ast.Ident:
				if s, ok := src.consts[a.Name]; ok {
					keys[s] = true
					return true
				}
				t.Errorf("%s: tr(%s): the text must be a literal or a constant, so its translation can be checked", src.fset.Position(a.Pos()), a.Name)
			default:
				t.Errorf("%s: tr's text must be a literal or a constant", src.fset.Position(a.Pos()))
			}
			return true
		})
	}
	return keys
}

// No text a person reads bypasses the translation: every string literal
// handed to a widget, dialog, menu or notification goes through tr.
func TestUITextGoesThroughTranslation(t *testing.T) {
	src := parseUI(t)
	var bad []string
	flag := func(n ast.Node, what string) {
		bad = append(bad, src.fset.Position(n.Pos()).String()+": "+what)
	}
	var check func(e ast.Expr, where string)
	check = func(e ast.Expr, where string) {
		switch v := e.(type) {
		case *ast.BasicLit:
			if s, _ := strconv.Unquote(v.Value); v.Kind == token.STRING && userText(s) {
				flag(v, where+" "+v.Value)
			}
		case *ast.BinaryExpr:
			check(v.X, where)
			check(v.Y, where)
		case *ast.CompositeLit:
			for _, el := range v.Elts {
				check(el, where)
			}
		case *ast.ParenExpr:
			check(v.X, where)
		}
	}
	for _, f := range src.files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch v := n.(type) {
			case *ast.CallExpr:
				name := callName(v)
				if name == "tr" {
					return false
				}
				if visibleCalls[name] {
					for _, a := range v.Args {
						check(a, name)
					}
				}
			case *ast.AssignStmt:
				for i, l := range v.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Text" || sel.Sel.Name == "Label") && i < len(v.Rhs) {
						check(v.Rhs[i], "."+sel.Sel.Name+" =")
					}
				}
			}
			return true
		})
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s: user-visible text not translated (wrap it in tr)", b)
	}
}

// The English and Japanese files hold exactly the texts the UI asks for:
// none missing from either, none left over; Fyne's own words are all in
// Japanese too.
func TestTranslationsCoverTheUI(t *testing.T) {
	src := parseUI(t)
	used := src.keys(t)
	en, err := translationKeys("en")
	if err != nil {
		t.Fatal(err)
	}
	ja, err := translationKeys("ja")
	if err != nil {
		t.Fatal(err)
	}
	for k := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
	}
	for k := range en {
		if !used[k] {
			t.Errorf("en.json has %q, which the UI no longer asks for", k)
		}
		if v, ok := ja[k].(string); !ok || strings.TrimSpace(v) == "" {
			t.Errorf("ja.json lacks %q", k)
		}
	}
	for k := range ja {
		if _, ok := en[k]; !ok {
			t.Errorf("ja.json has %q, which en.json does not", k)
		}
	}

	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "fyne.io/fyne/v2").Output()
	if err != nil {
		t.Fatalf("finding Fyne's module: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "lang", "translations", "base.en.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fyneEN map[string]any
	if err := json.Unmarshal(raw, &fyneEN); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fyne-ja", "fyne-en"} {
		ours, err := translationKeys(name)
		if err != nil {
			t.Fatal(err)
		}
		for k := range fyneEN {
			if _, ok := ours[k]; !ok {
				t.Errorf("%s.json lacks Fyne's %q", name, k)
			}
		}
		for k := range ours {
			if _, ok := fyneEN[k]; !ok {
				t.Errorf("%s.json has %q, which Fyne does not use", name, k)
			}
		}
	}
}

// useJapanese makes the UI speak Japanese as on a Japanese system, until
// the test ends.
func useJapanese(t *testing.T) {
	t.Setenv("LANGUAGE", "ja")
	t.Setenv("LANG", "ja_JP.UTF-8")
	t.Cleanup(func() {
		os.Setenv("LANGUAGE", "en")
		os.Setenv("LANG", "C")
		useLanguage("en") // the localizer is Fyne's, shared by every test
	})
}

// With a Japanese system language the window, the tray's words and Fyne's
// own dialogs speak Japanese, with InfiniCLOUD's own words for the fields.
func TestJapaneseSystemGetsJapanese(t *testing.T) {
	useJapanese(t)
	k := newTestApp(t, service.Options{DemoDir: t.TempDir()})
	var texts []string
	onUIWait(func() {
		for _, item := range k.onboard.form.Objects[0].(*widget.Form).Items {
			texts = append(texts, item.Text)
		}
		texts = append(texts, k.onboard.signIn.Text, k.onboard.choice.Options[2], tr(pauseHourLabel), lang.L("Cancel"))
	})
	want := []string{"WebDAV接続先URL", "接続ID", "アプリパスワード", "保存領域", "このコンピューター", "サインインしてフォルダーを選ぶ",
		"このコンピューター上のデモサーバーで試す（アカウント不要）", "1時間だけ一時停止", "キャンセル"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("in Japanese the onboarding says\n%q\nwant\n%q", texts, want)
	}
	// The demo still starts from its translated choice.
	onUIWait(func() { k.onboard.choice.SetSelected(tr(choiceDemo)) })
	tap(k.onboard.signIn)
	eventually(t, "the demo to start in Japanese", 20*time.Second, func() bool {
		var c fyne.CanvasObject
		onUIWait(func() { c = k.win.Content() })
		return c == k.tabs
	})
	var tabs []string
	onUIWait(func() {
		for _, it := range k.tabs.Items {
			tabs = append(tabs, it.Text)
		}
	})
	if strings.Join(tabs, "|") != "状態|フォルダー|設定" {
		t.Errorf("the tabs say %q", tabs)
	}
	// The service's sentences too: the status line and the details.
	eventually(t, "the status line in Japanese", 20*time.Second, func() bool {
		l := text(k.status.line)
		return l == "最新の状態です" || l == "最初のバックアップを待っています"
	})
	if d := text(k.status.detail); !strings.Contains(d, "このコンピューター上のデモサーバー") {
		t.Errorf("the details say %q", d)
	}
}

// Choosing English in Settings wins over a Japanese system at the next start.
func TestEnglishChosenOnAJapaneseSystem(t *testing.T) {
	useJapanese(t)
	if err := useLanguage("en"); err != nil {
		t.Fatal(err)
	}
	if got := tr("Back up now"); got != "Back up now" {
		t.Errorf("with English chosen on a Japanese system the button says %q", got)
	}
	if err := useLanguage("ja"); err != nil {
		t.Fatal(err)
	}
	if got := tr("Back up now"); got != "今すぐバックアップ" {
		t.Errorf("with Japanese chosen the button says %q", got)
	}
}

// translationKeys reads a translation file.
func translationKeys(name string) (map[string]any, error) {
	raw, err := translationFiles.ReadFile("translations/" + name + ".json")
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(raw, &m)
}
