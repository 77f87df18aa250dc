package problem

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// kinds reads every Kind constant declared in kinds.go.
func kinds(t *testing.T) []Kind {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "kinds.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Kind
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && vs.Type != nil && fmt.Sprint(vs.Type) == "Kind" {
			for _, v := range vs.Values {
				s, _ := strconv.Unquote(v.(*ast.BasicLit).Value)
				out = append(out, Kind(s))
			}
		}
		return true
	})
	return out
}

// Every problem has English words, and the table has no words for a
// problem that does not exist.
func TestEnglishCoversEveryKind(t *testing.T) {
	all := kinds(t)
	if len(all) < 30 {
		t.Fatalf("read only %d kinds from kinds.go", len(all))
	}
	declared := map[Kind]bool{}
	for _, k := range all {
		declared[k] = true
		if e, ok := English.Entries[k]; !ok || strings.TrimSpace(e.Says) == "" {
			t.Errorf("%s has no English sentence", k)
		}
	}
	for k := range English.Entries {
		if !declared[k] {
			t.Errorf("English has words for %s, which kinds.go does not declare", k)
		}
	}
}

func TestSentencesAndSentinels(t *testing.T) {
	cause := errors.New("PUT a.txt: server answered 507")
	p := New(QuotaFullPaused, nil, cause)
	if got := p.Error(); got != "the account is full; free space or upgrade the plan, then back up again: PUT a.txt: server answered 507" {
		t.Errorf("log form: %q", got)
	}
	if got := p.For(CLI); !strings.Contains(got, "then back up again.") || !strings.HasPrefix(got, "Your InfiniCLOUD storage is full") {
		t.Errorf("command-line sentence: %q", got)
	}
	if got := p.Sentence(); !strings.Contains(got, "continues by itself") {
		t.Errorf("app sentence: %q", got)
	}
	sentinel := New(QuotaFullPaused, nil, nil)
	if !errors.Is(fmt.Errorf("pass: %w", p), sentinel) || errors.Is(p, New(FolderMissing, nil, nil)) {
		t.Error("a sentinel matches problems of its kind only")
	}
	if !errors.Is(p, cause) {
		t.Error("the cause stays in the chain")
	}
	h := New(HostNotFound, Args{"host": "no-such.teracloud.jp"}, nil)
	if got := h.Sentence(); !strings.HasPrefix(got, "Kumo cannot find the server no-such.teracloud.jp: check") {
		t.Errorf("arguments fill the sentence: %q", got)
	}
}

// A translation replaces the words; what it lacks stays English.
func TestUseTranslation(t *testing.T) {
	defer Use(nil)
	Use(&Table{Language: "xx", Sep: "", Entries: map[Kind]Entry{HostNotFound: {Says: "<{host}>", Do: "!"}}})
	if got := New(HostNotFound, Args{"host": "h"}, nil).Sentence(); got != "<h>!" {
		t.Errorf("translated: %q", got)
	}
	if got := New(Offline, Args{"host": "h"}, nil).Sentence(); !strings.HasPrefix(got, "Kumo cannot reach h") {
		t.Errorf("a missing translation falls back to English: %q", got)
	}
	if got := New(HostNotFound, Args{"host": "h"}, nil).Error(); !strings.HasPrefix(got, "Kumo cannot find") {
		t.Errorf("error chains and logs stay English: %q", got)
	}
}

// Every problem has Japanese words too, naming the same {placeholders} as
// the English, with a command-line variant wherever the English has one.
func TestJapaneseCoversEveryKind(t *testing.T) {
	holes := func(s string) string {
		var out []string
		for _, part := range strings.Split(s, "{")[1:] {
			if name, _, ok := strings.Cut(part, "}"); ok {
				out = append(out, name)
			}
		}
		sort.Strings(out)
		return strings.Join(slices.Compact(out), ",")
	}
	for _, k := range kinds(t) {
		en, ja := English.Entries[k], Japanese.Entries[k]
		if strings.TrimSpace(ja.Says) == "" {
			t.Errorf("%s has no Japanese sentence", k)
			continue
		}
		if holes(en.Says+en.Do+en.DoCLI) != holes(ja.Says+ja.Do+ja.DoCLI) {
			t.Errorf("%s: Japanese names {%s}, English {%s}", k, holes(ja.Says+ja.Do+ja.DoCLI), holes(en.Says+en.Do+en.DoCLI))
		}
		if (en.Do == "") != (ja.Do == "") || (en.DoCLI == "") != (ja.DoCLI == "") {
			t.Errorf("%s: the Japanese lacks or adds what to do (or its command-line form)", k)
		}
	}
	for k := range Japanese.Entries {
		if _, ok := English.Entries[k]; !ok {
			t.Errorf("Japanese has words for %s, which English does not", k)
		}
	}
	defer Use(nil)
	Use(&Japanese)
	if got := New(HostNotFound, Args{"host": "no-such.teracloud.jp"}, nil).Sentence(); !strings.HasPrefix(got, "サーバー no-such.teracloud.jp が見つかりません。WebDAV接続先URL") {
		t.Errorf("in Japanese: %q", got)
	}
}
