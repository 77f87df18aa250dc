package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/conditions"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/internal/session"
	"github.com/kumo-backup/kumo/transport"
)

// runDaemon backs up folders headless until stopped: a pass over each
// folder now, then every change as it settles, and a full rescan every
// --every. It runs engines exactly as the app does, with the app's
// settings (retention included); flags change them for this run. SIGUSR1
// pauses, SIGUSR2 resumes.
func runDaemon(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo daemon", msg.T("Usage: kumo daemon [flags] [FOLDER...]\n\n"+
		"Backs up the folders (by default the ones chosen in the app) with the account of\n"+
		"`kumo login` until stopped (Ctrl-C or SIGTERM); SIGUSR1 pauses and SIGUSR2 resumes."))
	every := c.fs.Duration("every", 6*time.Hour, msg.T("time between full rescans (changes are backed up as they happen)"))
	quiet := c.fs.Duration("quiet", 0, msg.T("how long a file must stay unchanged before it is uploaded (default: the app's setting, 1s unless changed)"))
	c.tuning(msg.T("parallel uploads"))
	var excludes patterns
	c.fs.Var(&excludes, "exclude", msg.T("leave out paths matching this gitignore-style pattern (repeatable); editor and system temp files are always left out"))
	c.fs.StringVar(&c.passwordFile, "password-file", "", msg.T("read the password from this file (mode 0600) instead of the keyring"))
	onMetered := c.fs.Bool("metered", false, msg.T("back up on metered connections too (by default uploads wait while the connection is metered, as the app's settings say)"))
	onBattery := c.fs.Bool("battery", false, msg.T("back up on a low battery too (by default uploads wait on battery below the app's threshold, 20%)"))
	c.fs.BoolVar(&c.verbose, "v", false, msg.T("log every request"))
	if code, ok := c.parse(args); !ok {
		return code
	}
	if *every <= 0 {
		return c.usageError()
	}
	c.tuningHook = func(t *session.Tuning) {
		t.SafetyRescan = *every
		if *quiet > 0 {
			t.Quiet = *quiet
		}
		if *onMetered {
			t.Holds.MeteredUploads = true
		}
		if *onBattery {
			t.Holds.OnBattery, t.Holds.LowBattery = false, 0
		}
	}
	s, cfg, code := c.open()
	if s == nil {
		return code
	}
	defer s.Close()
	folders := cfg.Folders
	if c.fs.NArg() > 0 {
		folders = nil
		for _, p := range c.fs.Args() {
			folders = append(folders, account.Folder{Path: p})
		}
	}
	if len(folders) == 0 {
		return c.usageError()
	}
	for i := range folders {
		folders[i].Excludes = append(slices.Clone(folders[i].Excludes), excludes...)
	}

	// A refused password will not fix itself: stop, so a service manager
	// shows the daemon failed, and say what to do.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var refused atomic.Bool
	var mu sync.Mutex // one summary at a time on the terminal
	shared := &lastBackups{s: s}
	var runner *session.Runner
	runner = s.Runner(func(f account.Folder) session.Hooks {
		return session.Hooks{
			OnPass: func(sum *backup.Summary, err error) {
				if err == nil && sum != nil && sum.Held == 0 && len(runner.Held()) == 0 {
					shared.note(ctx, filepath.Base(f.Path), time.Now()) // never while uploads hold
				}
				mu.Lock()
				defer mu.Unlock()
				if sum != nil && (sum.Files+sum.Moved+sum.Versioned > 0 || len(sum.Failed) > 0) {
					printSummary(env.Stdout, s.Client.URL(sum.Remote+"/"), sum)
				}
				if err == nil {
					return
				}
				if transport.Classify(err) == transport.ClassAuth {
					if !refused.Swap(true) {
						c.fail(s, err)
						stop()
					}
					return
				}
				c.errorf(0, "%s: %s", f.Path, problem.For(err, s.Where(), problem.CLI))
			},
			OnNote: func(note string) {
				mu.Lock()
				defer mu.Unlock()
				c.errorf(0, "%s", note)
			},
		}
	})
	defer runner.StopAll()
	// The network and power are known before the first pass, so a metered
	// connection holds from the start.
	holds := &holdReport{w: env.Stdout}
	known := make(chan struct{})
	var first sync.Once
	go conditions.FromEnv(env.Getenv).Watch(ctx, func(st conditions.State) {
		runner.SetConditions(st)
		mu.Lock()
		holds.report(runner.Held(), st)
		mu.Unlock()
		first.Do(func() { close(known) })
	})
	select {
	case <-known:
	case <-time.After(3 * time.Second):
	}
	paths := make([]string, 0, len(folders))
	for _, f := range folders {
		if err := runner.Start(f); err != nil {
			return c.errorf(1, "%s: %s", f.Path, problem.For(err, s.Where(), problem.CLI))
		}
		paths = append(paths, f.Path)
	}
	mu.Lock()
	holds.report(runner.Held(), runner.Conditions())
	mu.Unlock()
	signals := make(chan os.Signal, 2)
	if len(pauseSignals) > 0 {
		signal.Notify(signals, pauseSignals...)
	}
	defer signal.Stop(signals)
	s.Logger().Info("daemon started", "folders", paths, "safety-rescan", *every)
	fmt.Fprintf(env.Stdout, msg.T("Backing up %d folders to %s as changes happen; Ctrl-C stops.\n"), len(folders), s.Account.URL)
	for {
		select {
		case <-ctx.Done():
			runner.StopAll()
			fmt.Fprintln(env.Stdout, msg.T("Stopped."))
			if refused.Load() {
				return 3
			}
			return 0
		case sig := <-signals:
			if isPauseSignal(sig) {
				runner.Pause()
			} else {
				runner.Resume()
			}
		}
	}
}

// holdReport says which folders wait for the network or power, once per
// change, with the flags that would let them go; nothing while nothing waits.
type holdReport struct {
	w    io.Writer
	last string
}

func (r *holdReport) report(held map[string]session.HoldReason, st conditions.State) {
	var reasons, flags []string
	for _, why := range held {
		flag := "--battery"
		if why == session.HeldMetered {
			flag = "--metered"
		}
		if !slices.Contains(reasons, holdWords(why)) {
			reasons = append(reasons, holdWords(why))
		}
		if !slices.Contains(flags, flag) {
			flags = append(flags, flag)
		}
	}
	slices.Sort(reasons)
	slices.Sort(flags)
	line := ""
	switch {
	case len(held) > 0:
		line = msg.T("Holding %d folders: %s (%s); changes are noted and sent when that ends (%s backs up anyway).",
			len(held), strings.Join(reasons, ", "), st.Seen, strings.Join(flags, " / "))
		if len(held) == 1 {
			line = msg.T("Holding 1 folder: %[2]s (%[3]s); changes are noted and sent when that ends (%[4]s backs up anyway).",
				1, strings.Join(reasons, ", "), st.Seen, strings.Join(flags, " / "))
		}
	case r.last != "":
		line = msg.T("Uploads go on (%s).", st.String())
	}
	if line != r.last && line != "" {
		fmt.Fprintln(r.w, line)
	}
	r.last = line
}

// lastBackups remembers when each folder last completed a pass and tells
// the account's other computers (session.ShareLastBackups): at once on a
// folder's first complete pass, then at most every 6 hours.
type lastBackups struct {
	s       *session.Session
	mu      sync.Mutex
	folders map[string]time.Time
}

func (l *lastBackups) note(ctx context.Context, folder string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.folders == nil {
		l.folders = map[string]time.Time{}
	}
	_, seen := l.folders[folder]
	l.folders[folder] = now.UTC()
	l.s.ShareLastBackups(ctx, l.folders, now, !seen)
}

// holdWords names what holds, in the language in use.
func holdWords(why session.HoldReason) string {
	switch why {
	case session.HeldMetered:
		return msg.T("metered connection")
	case session.HeldOnBattery:
		return msg.T("on battery")
	case session.HeldLowBattery:
		return msg.T("low battery")
	}
	return why.String()
}
