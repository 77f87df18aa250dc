package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/transport"
	"github.com/kumo-backup/kumo/watcher"
)

// runDaemon backs up folders headless until stopped: a pass over each
// folder now, then every change as it settles, and a full rescan every
// --every. SIGUSR1 pauses, SIGUSR2 resumes.
func runDaemon(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("kumo daemon", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	every := fs.Duration("every", 6*time.Hour, "time between full rescans (changes are backed up as they happen)")
	quiet := fs.Duration("quiet", time.Second, "how long a file must stay unchanged before it is uploaded")
	workers := fs.Int("workers", 4, "parallel uploads")
	limit := fs.Int64("limit-upload", 0, "upload limit in KiB/s (0: none)")
	var excludes patterns
	fs.Var(&excludes, "exclude", "leave out paths matching this gitignore-style pattern (repeatable); editor and system temp files are always left out")
	passwordFile := fs.String("password-file", "", "read the password from this file (mode 0600) instead of the keyring")
	verbose := fs.Bool("v", false, "log every request")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: kumo daemon [flags] FOLDER...\n\nBacks up the folders with the account of `kumo login` until stopped\n(Ctrl-C or SIGTERM); SIGUSR1 pauses and SIGUSR2 resumes.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 || *every <= 0 {
		fs.Usage()
		return 2
	}
	s, code := signedIn(env, "kumo daemon", *passwordFile)
	if s == nil {
		return code
	}
	acct := s.acct
	logger := newLogger(env.Stderr, *verbose, acct.User, s.secrets.Password, s.secrets.APIKey)
	client, err := transport.New(transport.Config{URL: acct.URL, User: acct.User, Password: s.secrets.Password, RootCAs: s.roots,
		Connections: *workers, UploadLimit: *limit << 10, UserAgent: "Kumo/" + env.Build.Version, Logger: logger})
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo daemon: %v\n", err)
		return 1
	}
	defer client.Close()
	ix, err := backup.OpenIndex(indexPath(acct.URL, acct.User))
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo daemon: %v\n", err)
		return 1
	}
	defer ix.Close()

	var engines []*backup.Engine
	for _, folder := range fs.Args() {
		e, err := backup.New(client, backup.Options{Root: folder, Device: acct.Device, Workers: *workers, Index: ix, Logger: logger,
			Filter: watcher.NewFilter(excludes...)})
		if err != nil {
			fmt.Fprintf(env.Stderr, "kumo daemon: %s: %v\n", folder, err)
			return 1
		}
		defer e.Close()
		engines = append(engines, e)
	}
	signals := make(chan os.Signal, 2)
	if len(pauseSignals) > 0 {
		signal.Notify(signals, pauseSignals...)
	}
	defer signal.Stop(signals)
	logger.Info("daemon started", "folders", fs.Args(), "safety-rescan", *every)
	fmt.Fprintf(env.Stdout, "Backing up %d folders to %s as changes happen; Ctrl-C stops.\n", len(engines), acct.URL)

	// A refused password will not fix itself: stop, so a service manager
	// shows the daemon failed, and say what to do.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var refused atomic.Bool
	var mu sync.Mutex // one summary at a time on the terminal
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.Watch(ctx, backup.WatchOptions{Quiet: *quiet, SafetyRescan: *every,
				OnPass: func(sum *backup.Summary, err error) {
					mu.Lock()
					defer mu.Unlock()
					if sum != nil && (sum.Files+sum.Moved+sum.Versioned > 0 || len(sum.Failed) > 0) {
						printSummary(env.Stdout, client.URL(sum.Remote+"/"), sum)
					}
					if err != nil {
						fmt.Fprintf(env.Stderr, "kumo daemon: %s: %s\n", fs.Arg(i), client.Redact(err.Error()))
					}
					if transport.Classify(err) == transport.ClassAuth && !refused.Swap(true) {
						fmt.Fprintln(env.Stderr, "kumo daemon: the server refused the password (an Apps Password reissued on My Page, or Apps Connection turned off): "+
							"run `kumo login` with the new Apps Password, then start the daemon again. Nothing was lost.")
						stop()
					}
				},
				OnNote: func(note string) {
					mu.Lock()
					defer mu.Unlock()
					fmt.Fprintf(env.Stderr, "kumo daemon: %s\n", note)
				}})
			if err != nil {
				fmt.Fprintf(env.Stderr, "kumo daemon: %s: %v\n", fs.Arg(i), err)
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			fmt.Fprintln(env.Stdout, "Stopped.")
			if refused.Load() {
				return 3
			}
			return 0
		case s := <-signals:
			for _, e := range engines {
				if isPauseSignal(s) {
					e.Pause()
				} else {
					e.Resume()
				}
			}
		}
	}
}
