// Package cli is Kumo's command line: the same engine as the desktop app,
// for servers and scripts. It never imports the UI toolkit.
package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/transport"
)

// BuildInfo identifies this build of Kumo.
type BuildInfo struct {
	Version string
	Commit  string
}

// Env is the process environment the commands may read.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Build          BuildInfo
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env Env, args []string) int
}

func commands() []command {
	return []command{
		{"backup", "back up a folder to a WebDAV server", runBackup},
		{"version", "print the version", runVersion},
		{"help", "show this help", nil},
	}
}

// Run executes the command line args (without the program name) and
// returns the process exit code: 0 success, 1 failure, 2 usage error.
func Run(ctx context.Context, env Env, args []string) int {
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
	fmt.Fprintf(env.Stderr, "kumo: unknown command %q; run 'kumo --help' for the list\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Kumo backs up folders to InfiniCLOUD or any WebDAV server.")
	fmt.Fprintln(w, "\nUsage:\n  kumo                 open the desktop app\n  kumo <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kumo <command> --help' for a command's flags.")
}

func runVersion(_ context.Context, env Env, _ []string) int {
	fmt.Fprintf(env.Stdout, "kumo %s (commit %s)\n", env.Build.Version, env.Build.Commit)
	return 0
}

func runBackup(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("kumo backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	once := fs.Bool("once", false, "back up once and exit")
	serverURL := fs.String("url", "", "WebDAV Connection URL of the backup area, e.g. https://NODE.teracloud.jp/backup/")
	user := fs.String("user", "", "Connection ID (your user ID)")
	device := fs.String("device", defaultDevice(), "name of this computer on the server")
	workers := fs.Int("workers", 4, "parallel uploads")
	caFile := fs.String("ca-file", "", "PEM file of a certificate authority to trust instead of the system's (self-hosted servers)")
	verbose := fs.Bool("v", false, "log every request")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: kumo backup --once --url URL --user ID [flags] FOLDER\n\nThe Apps Password is read from the KUMO_PASSWORD environment variable.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if !*once {
		fmt.Fprintln(env.Stderr, "kumo backup: add --once: this version backs up once and exits (continuous backup is `kumo daemon`, not built yet)")
		return 2
	}
	if *serverURL == "" || *user == "" {
		fmt.Fprintln(env.Stderr, "kumo backup: --url and --user are required (the WebDAV Connection URL and Connection ID from your provider)")
		return 2
	}
	password := env.Getenv("KUMO_PASSWORD")
	if password == "" {
		fmt.Fprintln(env.Stderr, "kumo backup: no password: set the KUMO_PASSWORD environment variable to your Apps Password")
		return 2
	}
	var roots *x509.CertPool
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kumo backup: cannot read the CA file: %v\n", err)
			return 1
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			fmt.Fprintf(env.Stderr, "kumo backup: %s holds no PEM certificate\n", *caFile)
			return 1
		}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))

	client, err := transport.New(transport.Config{
		URL: *serverURL, User: *user, Password: password, RootCAs: roots,
		Connections: *workers, UserAgent: "Kumo/" + env.Build.Version, Logger: logger,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo backup: %v\n", err)
		return 1
	}
	folder := fs.Arg(0)
	sum, err := backup.RunOnce(ctx, client, backup.Options{Root: folder, Device: *device, Workers: *workers, Logger: logger})
	if sum != nil {
		printSummary(env.Stdout, client.URL(sum.Remote+"/"), sum)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo backup: %v\n", err)
		return 1
	}
	if len(sum.Failed) > 0 {
		return 1
	}
	return 0
}

func printSummary(w io.Writer, where string, s *backup.Summary) {
	fmt.Fprintf(w, "Backed up %d files (%s) and %d folders to %s in %.1fs\n",
		s.Files, humanBytes(s.Bytes), s.Folders, where, s.Duration.Seconds())
	for _, e := range s.Skipped {
		fmt.Fprintf(w, "  skipped %s: %v\n", e.Path, e.Err)
	}
	for _, e := range s.Failed {
		fmt.Fprintf(w, "  FAILED  %s: %v\n", e.Path, e.Err)
	}
	if n := len(s.Failed); n > 0 {
		fmt.Fprintf(w, "%d files were not backed up; fix the reasons above and run the backup again.\n", n)
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func defaultDevice() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "computer"
	}
	return strings.ToLower(strings.SplitN(h, ".", 2)[0])
}
