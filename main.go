// Kumo backs up folders to InfiniCLOUD or any WebDAV server: a desktop app
// with a tray icon when started without arguments, a command line otherwise.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/BurntSushi/toml"

	"github.com/kumo-backup/kumo/internal/autostart"
	_ "github.com/kumo-backup/kumo/internal/cleanlocale" // before Fyne's init
	"github.com/kumo-backup/kumo/internal/cli"
	"github.com/kumo-backup/kumo/internal/console"
	"github.com/kumo-backup/kumo/ui"
)

// fyneApp is the app's metadata, kept in one place for `fyne package` and
// for plain `go build` binaries alike.
//
//go:embed FyneApp.toml
var fyneApp string

// commit and date are set by the Makefile with -ldflags "-X main.commit=... -X main.date=...".
var commit, date string

type appMetadata struct {
	Details struct {
		ID      string
		Name    string
		Version string
		Build   int
	}
	Migrations map[string]bool
}

func main() {
	var meta appMetadata
	if _, err := toml.Decode(fyneApp, &meta); err != nil {
		fmt.Fprintln(os.Stderr, "kumo: FyneApp.toml is invalid:", err)
		os.Exit(1)
	}
	build := cli.BuildInfo{Version: meta.Details.Version, Commit: buildCommit(), Date: buildDate()}

	hidden := len(os.Args) == 2 && os.Args[1] == autostart.TrayFlag
	openRestore := len(os.Args) == 2 && os.Args[1] == "--restore"
	if len(os.Args) > 1 && !hidden && !openRestore {
		console.Attach() // kumo.exe is a windowed program: print in the console it was started from
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Build: build}, os.Args[1:])
		stop()
		os.Exit(code)
	}
	ui.Run(ui.Info{
		ID: meta.Details.ID, Name: meta.Details.Name, Version: meta.Details.Version,
		Build: meta.Details.Build, Commit: build.Commit, Date: build.Date, Migrations: meta.Migrations, Hidden: hidden, OpenRestore: openRestore,
	})
}

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
	}
	return "unknown"
}

func buildDate() string {
	if date != "" {
		return date
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" && len(s.Value) >= 10 {
				return s.Value[:10]
			}
		}
	}
	return "unknown"
}
