package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/transport"
)

func runLogin(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo login", msg.T("Usage: kumo login --user ID [--url URL] [flags]\n\n"+
		"Asks for the Apps Password (or reads it from --password-file or %s),\n"+
		"checks the connection, and keeps the password in the system keyring. With an API key\n"+
		"(Kumo's own, or --api-key-file) InfiniCLOUD says where your data is, so --url may be\n"+
		"left out; otherwise give the WebDAV Connection URL from My Page → Apps Connection.", account.PasswordEnv))
	fs := c.fs
	service := fs.String("service", string(account.InfiniCLOUD), msg.T("infinicloud, or webdav for any other WebDAV server"))
	rawURL := fs.String("url", "", msg.T("WebDAV Connection URL from My Page → Apps Connection (for webdav: the folder's URL)"))
	user := fs.String("user", "", msg.T("Connection ID (your user ID)"))
	area := fs.String("area", account.AreaBackup, msg.T("InfiniCLOUD area: backup (kept apart) or dav (shows in your main drive)"))
	device := fs.String("device", account.DefaultDevice(), msg.T("name of this computer on the server"))
	caFile := fs.String("ca-file", "", msg.T("PEM file of a certificate authority to trust (self-hosted servers)"))
	fs.StringVar(&c.passwordFile, "password-file", "", msg.T("read the password from this file (mode 0600) instead of asking"))
	apiKeyFile := fs.String("api-key-file", "", msg.T("read the optional REST API key from this file (or set %s)", account.APIKeyEnv))
	takeOver := fs.Bool("take-over", false, msg.T("continue the backups of a device folder another computer (or an earlier install) made"))
	fs.StringVar(&c.apiURL, "api-url", "", msg.T("REST API server to ask instead of InfiniCLOUD's (the address `kumo emulator` prints)"))
	if code, ok := c.parse(args); !ok {
		return code
	}
	if *user == "" || fs.NArg() != 0 || *rawURL == "" && account.Service(*service) != account.InfiniCLOUD {
		return c.usageError()
	}
	if err := format.ValidateDeviceName(*device); err != nil {
		return c.errorf(2, "%v", err)
	}
	switch s := account.Service(*service); s {
	case account.InfiniCLOUD, account.WebDAV:
	default:
		return c.errorf(2, msg.T("unknown service %q: use infinicloud or webdav"), s)
	}
	form := account.Form{Service: account.Service(*service), URL: *rawURL, Area: *area, User: *user, Device: *device, CAFile: *caFile}
	if _, err := form.Account(); err != nil && *rawURL != "" {
		return c.fail(nil, err) // a typo in the address needs no password to be told
	}
	secrets, err := readLoginSecrets(env, c.passwordFile, *apiKeyFile)
	if err != nil {
		return c.errorf(1, "%v", err)
	}
	cfg, path, code := c.config()
	if cfg == nil {
		return code
	}
	logger := c.logger(transport.NewRedactor(*user, secrets.Password, secrets.APIKey))
	opts := account.Options{Logger: logger, MachineID: cfg.MachineID, TakeOver: *takeOver, APIServers: c.apiServers()}
	acct, info, err := account.Resolve(ctx, form, secrets, opts)
	if err != nil {
		return c.fail(nil, err)
	}
	if info != nil {
		fmt.Fprintf(env.Stdout, msg.T("InfiniCLOUD says your data is on %s (WebDAV Connection URL %s).\n"), info.Node, info.WebDAVURL)
	}
	acct.HasAPIKey = secrets.APIKey != ""
	st, err := account.Check(ctx, acct, secrets, opts)
	if err != nil {
		return c.fail(nil, err)
	}
	if st.RESTProblem != nil {
		fmt.Fprintf(env.Stderr, msg.T("Storage figures are not available: %s\n"), problem.For(st.RESTProblem, problem.Where{}, problem.CLI))
	}

	keyringErr := account.SaveSecrets(acct, secrets)
	if keyringErr != nil && !errors.Is(keyringErr, account.ErrNoKeyring) {
		return c.errorf(1, "%v", keyringErr)
	}
	cfg.Account = &acct
	if err := cfg.Save(path); err != nil {
		return c.errorf(1, "%v", err)
	}
	logger.Info("signed in", "user", acct.User, "url", acct.URL, "device", acct.Device, "keyring", keyringErr == nil)
	fmt.Fprintf(env.Stdout, msg.T("Signed in as %s on %s. This computer backs up as %q to %s%s/\n"), acct.User, acct.Host(), acct.Device, acct.URL, acct.Device)
	printQuota(env.Stdout, st)
	if keyringErr != nil {
		fmt.Fprintf(env.Stderr, msg.T("The password was NOT saved: %v\nThe account settings were saved; give the password to each command with %s or --password-file.\n"),
			keyringErr, account.PasswordEnv)
	} else {
		fmt.Fprintln(env.Stdout, msg.T("The password is kept in the system keyring."))
	}
	return 0
}

// readLoginSecrets gets the password without it ever being an argument:
// from a 0600 file, the environment, the terminal (not echoed) or stdin.
func readLoginSecrets(env Env, passwordFile, apiKeyFile string) (account.Secrets, error) {
	var s account.Secrets
	var err error
	switch {
	case passwordFile != "":
		s.Password, err = account.ReadPasswordFile(passwordFile)
	case env.Getenv(account.PasswordEnv) != "":
		s.Password = env.Getenv(account.PasswordEnv)
	default:
		s.Password, err = promptPassword(env, msg.T("Apps Password: "))
	}
	if err != nil {
		return s, err
	}
	switch {
	case apiKeyFile != "":
		raw, err := os.ReadFile(apiKeyFile)
		if err != nil {
			return s, fmt.Errorf("cannot read the API key file: %w", err)
		}
		s.APIKey = strings.TrimSpace(string(raw))
	default:
		s.APIKey = strings.TrimSpace(env.Getenv(account.APIKeyEnv))
	}
	if s.APIKey != "" {
		if err := transport.ValidateAPIKey(s.APIKey); err != nil {
			return s, err
		}
	}
	return s, nil
}

// stdin is the login prompt's input; tests replace it.
var stdin io.Reader = os.Stdin

func promptPassword(env Env, prompt string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.Stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	line, err := readLine(stdin)
	if line == "" {
		if err == nil || err == io.EOF {
			err = errors.New(msg.T("no password given: type it when asked, or use --password-file"))
		}
		return "", err
	}
	return line, nil
}

// readLine reads up to a newline a byte at a time, so that a second
// prompt (a new passphrase asked twice) finds the next line still unread.
func readLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 && b[0] == '\n' {
			break
		}
		line = append(line, b[:n]...)
		if err != nil {
			return strings.TrimRight(string(line), "\r"), err
		}
	}
	return strings.TrimRight(string(line), "\r"), nil
}

func runLogout(_ context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo logout", msg.T("Usage: kumo logout\n\nRemoves the password from the keyring; backups on the server are kept."))
	if code, ok := c.parse(args); !ok {
		return code
	}
	if c.fs.NArg() != 0 {
		return c.usageError()
	}
	cfg, path, code := c.config()
	if cfg == nil {
		return code
	}
	if cfg.Account == nil {
		fmt.Fprintln(env.Stdout, msg.T("Not signed in."))
		return 0
	}
	acct := *cfg.Account
	if err := account.DeleteSecrets(acct); err != nil && !errors.Is(err, account.ErrNoKeyring) {
		return c.errorf(1, "%v", err)
	}
	cfg.Account = nil
	if err := cfg.Save(path); err != nil {
		return c.errorf(1, "%v", err)
	}
	fmt.Fprintf(env.Stdout, msg.T("Signed out %s from %s; the password was removed from the keyring. Backups on the server are kept.\n"), acct.User, acct.Host())
	return 0
}

func runStatus(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo status", msg.T("Usage: kumo status\n\nShows the account, this device and its storage, and checks the connection."))
	c.fs.StringVar(&c.passwordFile, "password-file", "", msg.T("read the password from this file (mode 0600) instead of the keyring"))
	if code, ok := c.parse(args); !ok {
		return code
	}
	s, _, code := c.open()
	if s == nil {
		return code
	}
	defer s.Close()
	acct := s.Account
	fmt.Fprintf(env.Stdout, msg.T("Account:  %s on %s (%s)\nDevice:   %s\nBackups:  %s%s/\nLog file: %s\n"),
		acct.User, acct.Host(), acct.Service, acct.Device, acct.URL, acct.Device, paths.Log())
	st, err := s.Check(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, msg.T("Connection: %s\n"), problem.For(err, s.Where(), problem.CLI))
		return 1
	}
	fmt.Fprintln(env.Stdout, msg.T("Connection: OK"))
	printQuota(env.Stdout, st)
	if st.RESTProblem != nil {
		fmt.Fprintf(env.Stdout, msg.T("REST API: %s\n"), problem.For(st.RESTProblem, s.Where(), problem.CLI))
	}
	if len(st.Devices) > 0 {
		fmt.Fprintf(env.Stdout, msg.T("Devices on this account: %s\n"), strings.Join(st.Devices, ", "))
	}
	// As each computer says of itself: a laptop that stopped shows here.
	if comps, err := account.OtherComputers(ctx, s.Client, ""); err == nil && len(comps) > 0 {
		fmt.Fprintln(env.Stdout, msg.T("Last complete backup, as each computer says:"))
		for _, comp := range comps {
			when := msg.T("not said")
			if !comp.LastBackup.IsZero() {
				when = human.Ago(comp.LastBackup, time.Now())
			}
			fmt.Fprintf(env.Stdout, "  %s: %s\n", comp.Name, when)
		}
	}
	return 0
}

func printQuota(w io.Writer, st *account.Status) {
	if st.Quota.Known {
		fmt.Fprintf(w, msg.T("Storage: %s used, %s free (from the %s)\n"), human.Bytes(st.Quota.Used), human.Bytes(st.Quota.Available), st.QuotaSource)
	} else {
		fmt.Fprintln(w, msg.T("Storage: unknown (the server does not say how full the account is)"))
	}
}

func runRenameDevice(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo rename-device", msg.T("Usage: kumo rename-device NEW-NAME\n\nRenames this computer on the server; its backups move with it."))
	if code, ok := c.parse(args); !ok {
		return code
	}
	if c.fs.NArg() != 1 {
		return c.usageError()
	}
	newName := c.fs.Arg(0)
	if err := format.ValidateDeviceName(newName); err != nil {
		return c.errorf(2, "%v", err)
	}
	s, cfg, code := c.open()
	if s == nil {
		return code
	}
	defer s.Close()
	acct := s.Account
	if err := account.RenameDevice(ctx, s.Client, acct, newName, s.AccountOptions()); err != nil {
		return c.fail(s, err)
	}
	cfg.Account.Device = newName
	if err := cfg.Save(c.configPath); err != nil {
		return c.errorf(1, msg.T("the folder was renamed on the server, but the settings could not be saved: %v"), err)
	}
	fmt.Fprintf(env.Stdout, msg.T("This computer now backs up as %q (its backups moved from %s%s/ to %s%s/).\n"), newName, acct.URL, acct.Device, acct.URL, newName)
	return 0
}
