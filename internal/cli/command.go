package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/internal/session"
	"github.com/kumo-backup/kumo/transport"
)

// cmd is what every command shares: its flags and usage, its messages, and
// the connection its flags describe.
type cmd struct {
	name  string // "kumo restore", the prefix of its messages
	env   Env
	fs    *flag.FlagSet
	usage string // what Usage prints above the flags

	// Set by connect(): which server and account, and how hard to work.
	demo, verbose          bool
	url, user, device      string
	caFile, passwordFile   string
	workers                int
	limitKiB               int64
	tuningFlags, connFlags bool
	tuningHook             func(*session.Tuning) // a command's own changes to the tuning
	configPath             string                // where config() read the settings
	apiURL                 string                // the REST API server instead of InfiniCLOUD's (the emulator's)
}

// apiServers are the REST API servers to ask: --api-url, or InfiniCLOUD's.
func (c *cmd) apiServers() []string {
	if c.apiURL != "" {
		return []string{c.apiURL}
	}
	return nil
}

func newCmd(env Env, name, usage string) *cmd {
	c := &cmd{name: name, env: env, fs: flag.NewFlagSet(name, flag.ContinueOnError), usage: usage}
	c.fs.SetOutput(io.Discard) // parse says what went wrong, in the language in use
	c.fs.Usage = func() {
		fmt.Fprintln(env.Stderr, c.usage+"\n\n"+msg.T("Flags:"))
		printFlags(env.Stderr, c.fs)
	}
	return c
}

// printFlags lists the flags as flag.PrintDefaults does, with "(default …)"
// in the language in use.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if kind != "" {
			line += " " + kind
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			line += msg.T(" (default %s)", f.DefValue)
		}
		fmt.Fprintln(w, line)
	})
}

// flagProblem is what flag.Parse refused, in the language in use.
var flagProblems = []struct {
	re   *regexp.Regexp
	word func([]string) string
}{
	{regexp.MustCompile(`^flag provided but not defined: (.*)$`), func(m []string) string { return msg.T("flag provided but not defined: %s", m[1]) }},
	{regexp.MustCompile(`^flag needs an argument: (.*)$`), func(m []string) string { return msg.T("flag needs an argument: %s", m[1]) }},
	{regexp.MustCompile(`^invalid (?:boolean )?value (".*") for flag (\S+): (.*)$`), func(m []string) string {
		return msg.T("invalid value %s for flag %s: %s", m[1], m[2], m[3])
	}},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), func(m []string) string { return msg.T("bad flag syntax: %s", m[1]) }},
}

func flagProblem(err error) string {
	for _, p := range flagProblems {
		if m := p.re.FindStringSubmatch(err.Error()); m != nil {
			return p.word(m)
		}
	}
	return err.Error()
}

// connect adds the flags that say which server and account the command
// uses: the signed-in account by default, --url and --user for a one-off,
// or the built-in demo server.
func (c *cmd) connect(demoHelp string) {
	c.connFlags = true
	c.fs.BoolVar(&c.demo, "demo", false, demoHelp)
	c.fs.StringVar(&c.url, "url", "", msg.T("WebDAV Connection URL of the backup area, e.g. https://NODE.teracloud.jp/backup/"))
	c.fs.StringVar(&c.user, "user", "", msg.T("Connection ID (your user ID)"))
	c.fs.StringVar(&c.device, "device", account.DefaultDevice(), msg.T("name of the computer on the server"))
	c.fs.StringVar(&c.caFile, "ca-file", "", msg.T("PEM file of a certificate authority to trust instead of the system's (self-hosted servers)"))
	c.fs.StringVar(&c.passwordFile, "password-file", "", msg.T("read the password from this file (mode 0600) instead of the keyring or KUMO_PASSWORD"))
	c.fs.BoolVar(&c.verbose, "v", false, msg.T("log every request"))
	c.fs.StringVar(&c.apiURL, "api-url", "", msg.T("REST API server to ask instead of InfiniCLOUD's (the address `kumo emulator` prints)"))
}

// tuning adds --workers and --limit-upload; left out, the settings apply.
func (c *cmd) tuning(workersHelp string) {
	c.tuningFlags = true
	c.fs.IntVar(&c.workers, "workers", 0, msg.T("%s (default: the app's setting; unless changed, 4 growing to 16 while that speeds things up)", workersHelp))
	c.fs.Int64Var(&c.limitKiB, "limit-upload", 0, msg.T("upload limit in KiB/s, 0 for none (default: the app's setting)"))
}

// parse reads the flags; ok false means return code (0 after --help).
func (c *cmd) parse(args []string) (code int, ok bool) {
	usage := c.fs.Usage
	c.fs.Usage = func() {} // shown below, after the reason
	err := c.fs.Parse(args)
	c.fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return 0, false
	case err != nil:
		fmt.Fprintln(c.env.Stderr, flagProblem(err))
		usage()
		return 2, false
	}
	return 0, true
}

// set reports whether a flag was given on the command line.
func (c *cmd) set(name string) bool {
	found := false
	c.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// usageError prints the usage and returns the exit code for it.
func (c *cmd) usageError() int {
	c.fs.Usage()
	return 2
}

// errorf prints a message and returns code.
func (c *cmd) errorf(code int, format string, args ...any) int {
	fmt.Fprintf(c.env.Stderr, "%s: %s\n", c.name, fmt.Sprintf(format, args...))
	return code
}

// fail says in words what went wrong, without secrets, and returns 1.
func (c *cmd) fail(s *session.Session, err error) int {
	w := problem.Where{}
	if s != nil {
		w = s.Where()
	}
	return c.errorf(1, "%s", problem.For(err, w, problem.CLI))
}

// config loads the saved settings.
func (c *cmd) config() (*account.Config, string, int) {
	path, err := account.DefaultConfigPath()
	if err == nil {
		var cfg *account.Config
		if cfg, err = account.LoadConfig(path); err == nil {
			c.configPath = path
			return cfg, path, 0
		}
	}
	return nil, "", c.errorf(1, "%v", err)
}

// open connects as the flags say, after parse: the demo, a one-off
// account, or the signed-in one, with the app's settings and the flags'
// changes to them. The logger is ready before the secrets are known and
// redacts them once they are.
func (c *cmd) open() (*session.Session, *account.Config, int) {
	cfg, _, code := c.config()
	if cfg == nil {
		return nil, nil, code
	}
	redactor := transport.NewRedactor("")
	opts := session.Options{Logger: c.logger(redactor), Redactor: redactor, UserAgent: "Kumo/" + c.env.Build.Version,
		SecretSource: account.SecretSource{Getenv: c.env.Getenv, PasswordFile: c.passwordFile}, Now: c.env.Now}
	if c.connFlags && (c.set("device") || c.demo) {
		opts.Device = c.device
	}
	run := *cfg
	switch {
	case c.demo:
		run.Account, run.Demo = nil, true
	case c.url != "" || c.user != "":
		if c.url == "" || c.user == "" {
			return nil, nil, c.errorf(2, "%s", msg.T("give both --url and --user (the WebDAV Connection URL and Connection ID), or neither to use the account of `kumo login`"))
		}
		password := c.env.Getenv(account.PasswordEnv)
		if c.passwordFile != "" {
			var err error
			if password, err = account.ReadPasswordFile(c.passwordFile); err != nil {
				return nil, nil, c.errorf(1, "%v", err)
			}
		}
		if password == "" {
			return nil, nil, c.errorf(2, "%s", msg.T("no password: set the KUMO_PASSWORD environment variable to your Apps Password, or use --password-file"))
		}
		run.Account, run.Demo = &account.Account{Service: account.WebDAV, URL: c.url, User: c.user, Device: c.device, CAFile: c.caFile}, false
		opts.Secrets = account.Secrets{Password: password}
	case cfg.Account == nil:
		return nil, nil, c.errorf(2, "%s", problem.New(problem.NotSignedIn, nil, nil).For(problem.CLI))
	}
	opts.Tuning = c.tuningOf(cfg.Settings)
	s, err := session.Open(run, opts)
	if err != nil {
		return nil, nil, c.fail(nil, err)
	}
	if s.IsDemo() {
		fmt.Fprintf(c.env.Stdout, msg.T("Demo: backing up to a local InfiniCLOUD emulator at %s\n"), s.Demo.URL)
	}
	return s, cfg, 0
}

// tuningOf is the app's settings with this command's flags applied.
func (c *cmd) tuningOf(set account.Settings) session.Tuning {
	t := session.TuningOf(set)
	if c.tuningFlags && c.set("workers") && c.workers > 0 {
		t.Workers = c.workers
	}
	if c.tuningFlags && c.set("limit-upload") {
		t.UploadLimit = c.limitKiB << 10
	}
	if c.tuningHook != nil {
		c.tuningHook(&t)
	}
	return t
}

// logger logs warnings to stderr and information to Kumo's log file (both
// every request with -v), through redactor.
func (c *cmd) logger(redactor *transport.Redactor) *slog.Logger {
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	return newLogger(c.env.Stderr, level, redactor)
}

func newLogger(w io.Writer, level slog.Level, redactor *transport.Redactor) *slog.Logger {
	handlers := []slog.Handler{slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})}
	if f, err := paths.OpenLog(); err == nil {
		handlers = append(handlers, slog.NewTextHandler(f, &slog.HandlerOptions{Level: min(level, slog.LevelInfo)}))
	}
	return slog.New(redactor.Handler(slog.NewMultiHandler(handlers...)))
}

// now is the command's clock.
func (c *cmd) now() time.Time {
	if c.env.Now != nil {
		return c.env.Now()
	}
	return time.Now()
}
