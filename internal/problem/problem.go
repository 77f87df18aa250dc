// Package problem is Kumo's one table of what can go wrong: every problem a
// person can meet has a Kind, a sentence that says what happened and one
// that says what to do. The account check, the engine, the service and the
// command line all report problems through it, and a translation replaces
// the table (Use), never the code that reports.
package problem

import (
	"errors"
	"strings"
	"sync/atomic"

	"github.com/kumo-backup/kumo/transport"
)

// Kind names one problem; it is also the key of its sentences in a Table.
type Kind string

// Args are the values a sentence names, such as {host} or {user}.
type Args map[string]string

// Error is a problem that happened, with its cause.
type Error struct {
	Kind Kind
	Args Args
	Err  error // what went wrong underneath, for logs and errors.Is
}

// New makes a problem; args and cause may be nil.
func New(k Kind, args Args, cause error) *Error { return &Error{Kind: k, Args: args, Err: cause} }

// Error is the English description for logs and error chains: the kind's
// brief phrase when it has one, else its sentence, then the cause.
func (e *Error) Error() string {
	s := fill(briefs[e.Kind], e.Args)
	if s == "" {
		s = English.text(e.Kind, e.Args, App)
	}
	if e.Err != nil && briefs[e.Kind] != "" {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Class is what transport.Classify answers for the problems that decide
// what the engine does whatever the status underneath: a full account
// holds like a 507 even when the server said 500 or 403.
func (e *Error) Class() transport.Class {
	switch e.Kind {
	case PasswordRefused:
		return transport.ClassAuth
	case QuotaFull, QuotaFullPaused, WritesRefused:
		return transport.ClassQuota
	}
	return transport.Classify(e.Err)
}

// Is matches a sentinel of the same kind: one made with no args and no
// cause, such as backup.ErrFolderMissing.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Args == nil && t.Err == nil
}

// Sentence is what the desktop app shows: what happened and what to do, in
// the language in use.
func (e *Error) Sentence() string { return e.For(App) }

// For is the sentence for one audience.
func (e *Error) For(a Audience) string { return current.Load().text(e.Kind, e.Args, a) }

// Audience is who reads a sentence: what to do differs between a window
// (choose Retry) and a terminal (run kumo login).
type Audience int

const (
	App Audience = iota
	CLI
)

// Entry is one problem's words: what happened, and what to do about it,
// with a variant of the latter for the command line when it differs.
type Entry struct {
	Says  string `json:"says"`
	Do    string `json:"do,omitempty"`
	DoCLI string `json:"do_cli,omitempty"`
}

// Table holds every problem's words in one language.
type Table struct {
	Language string
	// Sep joins what happened and what to do (a space in English).
	Sep     string
	Entries map[Kind]Entry
}

func (t *Table) text(k Kind, args Args, a Audience) string {
	e, ok := t.Entries[k]
	if !ok && t != &English {
		return English.text(k, args, a)
	}
	do := e.Do
	if a == CLI && e.DoCLI != "" {
		do = e.DoCLI
	}
	s := e.Says
	if do != "" {
		s += t.Sep + do
	}
	return fill(s, args)
}

// fill replaces each {name} with its value.
func fill(s string, args Args) string {
	if len(args) == 0 || !strings.Contains(s, "{") {
		return s
	}
	pairs := make([]string, 0, 2*len(args))
	for k, v := range args {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

var current atomic.Pointer[Table]

func init() { current.Store(&English) }

// Use makes t the table sentences come from; kinds it lacks fall back to
// English. Use(nil) goes back to English.
func Use(t *Table) {
	if t == nil {
		t = &English
	}
	current.Store(t)
}

// ForLanguage is the table of code's language ("ja"), English otherwise.
func ForLanguage(code string) *Table {
	if code == "ja" {
		return &Japanese
	}
	return &English
}

// As finds the problem in err's chain, if any.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}

// KindOf is the kind of the problem in err's chain, or "".
func KindOf(err error) Kind {
	if p, ok := As(err); ok {
		return p.Kind
	}
	return ""
}
