// Package cli is Kumo's command line: the same engine as the desktop app,
// for servers and scripts. It never imports the UI toolkit.
package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/problem"
)

// BuildInfo identifies this build of Kumo.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string // the commit's date, YYYY-MM-DD
}

// Env is the process environment the commands may read.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Build          BuildInfo
	// Now is the commands' clock (time.Now when nil); tests inject one.
	Now func() time.Time
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) int
}

func commands() []command {
	return []command{
		{"backup", msg.T("back up a folder to a WebDAV server (or to a local demo server)"), runBackup},
		{"daemon", msg.T("keep backing up folders, headless, until stopped"), runDaemon},
		{"restore", msg.T("bring back files as of any backed-up moment (list, browse, restore)"), runRestore},
		{"verify", msg.T("check that the server holds every file of a backup"), runVerify},
		{"login", msg.T("sign in once: check the account and keep its password in the system keyring"), runLogin},
		{"logout", msg.T("sign out: remove the password from the keyring"), runLogout},
		{"status", msg.T("show the account, this device, storage use, and check the connection"), runStatus},
		{"rename-device", msg.T("rename this computer on the server (its backups move with it)"), runRenameDevice},
		{"doctor", msg.T("record what your server does, for a bug report (no secrets in it)"), runDoctor},
		{"emulator", msg.T("run a local InfiniCLOUD emulator to try Kumo or test against"), runEmulator},
		{"version", msg.T("print the version"), runVersion},
		{"help", msg.T("show this help"), nil},
	}
}

// Run executes the command line args (without the program name) and
// returns the process exit code: 0 success, 1 failure, 2 usage error.
func Run(ctx context.Context, env Env, args []string) int {
	useLanguage(msg.FromEnv(env.Getenv))
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		return runVersion(ctx, env, nil)
	}
	for _, c := range commands() {
		if c.name == args[0] && c.run != nil {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, msg.T("kumo: unknown command %q; run 'kumo --help' for the list\n"), args[0])
	return 2
}

// useLanguage makes the messages, problems and times speak code's
// language, as LANG (or LANGUAGE, LC_ALL, LC_MESSAGES) asks.
func useLanguage(code string) {
	msg.Use(code)
	problem.Use(problem.ForLanguage(code))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, msg.T("Kumo backs up folders to InfiniCLOUD or any WebDAV server."))
	fmt.Fprintln(w, msg.T("\nUsage:\n  kumo                 open the desktop app\n  kumo <command> [flags]"))
	fmt.Fprintln(w, msg.T("\nCommands:"))
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, msg.T("\nRun 'kumo <command> --help' for a command's flags."))
}

func runVersion(_ context.Context, env Env, _ []string) int {
	fmt.Fprintf(env.Stdout, msg.T("kumo %s (commit %s, built %s)\n"), env.Build.Version, env.Build.Commit, env.Build.Date)
	return 0
}

func printSummary(w io.Writer, where string, s *backup.Summary) {
	fmt.Fprintf(w, msg.T("Backed up %d files (%s) and %d folders to %s in %.1fs\n"),
		s.Files, human.Bytes(s.Bytes), s.Folders, where, s.Duration.Seconds())
	for _, e := range s.Skipped {
		fmt.Fprintf(w, msg.T("  skipped %s: %v\n"), e.Path, e.Err)
	}
	for _, e := range s.Failed {
		fmt.Fprintf(w, msg.T("  FAILED  %s: %v\n"), e.Path, e.Err)
	}
	if n := len(s.Failed); n > 0 {
		fmt.Fprintf(w, msg.T("%d files were not backed up; fix the reasons above and run the backup again.\n"), n)
	}
}

// patterns collects a repeatable flag of gitignore-style exclude patterns.
type patterns []string

func (p *patterns) String() string     { return strings.Join(*p, ",") }
func (p *patterns) Set(v string) error { *p = append(*p, v); return nil }
