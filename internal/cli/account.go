package cli

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/transport"
)

// APIKeyEnv gives the optional REST API key without a command-line argument.
const APIKeyEnv = "KUMO_API_KEY"

// session is the signed-in account with its secrets, ready to connect.
type session struct {
	cfg     *account.Config
	path    string
	acct    account.Account
	secrets account.Secrets
	roots   *x509.CertPool
}

// signedIn loads the saved account, its secrets and trusted CAs, or prints
// why it cannot and returns the exit code.
func signedIn(env Env, cmd, passwordFile string) (*session, int) {
	cfg, path, code := loadConfig(env)
	if cfg == nil {
		return nil, code
	}
	if cfg.Account == nil {
		fmt.Fprintf(env.Stderr, "%s: not signed in: run `kumo login` first (or try `kumo backup --demo FOLDER`)\n", cmd)
		return nil, 2
	}
	s := &session{cfg: cfg, path: path, acct: *cfg.Account}
	var err error
	if s.secrets, err = account.LoadSecrets(s.acct, account.SecretSource{Getenv: env.Getenv, PasswordFile: passwordFile}); err == nil {
		s.roots, err = account.LoadCAFile(s.acct.CAFile)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", cmd, err)
		return nil, 1
	}
	return s, 0
}

func loadConfig(env Env) (*account.Config, string, int) {
	path, err := account.DefaultConfigPath()
	if err == nil {
		var cfg *account.Config
		if cfg, err = account.LoadConfig(path); err == nil {
			return cfg, path, 0
		}
	}
	fmt.Fprintf(env.Stderr, "kumo: %v\n", err)
	return nil, "", 1
}

func runLogin(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("kumo login", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	service := fs.String("service", string(account.InfiniCLOUD), "infinicloud, or webdav for any other WebDAV server")
	rawURL := fs.String("url", "", "WebDAV Connection URL from My Page → Apps Connection (for webdav: the folder's URL)")
	user := fs.String("user", "", "Connection ID (your user ID)")
	area := fs.String("area", account.AreaBackup, "InfiniCLOUD area: backup (kept apart) or dav (shows in your main drive)")
	device := fs.String("device", defaultDevice(), "name of this computer on the server")
	caFile := fs.String("ca-file", "", "PEM file of a certificate authority to trust (self-hosted servers)")
	passwordFile := fs.String("password-file", "", "read the password from this file (mode 0600) instead of asking")
	apiKeyFile := fs.String("api-key-file", "", "read the optional REST API key from this file (or set "+APIKeyEnv+")")
	takeOver := fs.Bool("take-over", false, "continue the backups of a device folder another computer (or an earlier install) made")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: kumo login --url URL --user ID [flags]\n\nAsks for the Apps Password (or reads it from --password-file or "+account.PasswordEnv+"),\nchecks the connection, and keeps the password in the system keyring.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *rawURL == "" || *user == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	if err := backup.ValidateDeviceName(*device); err != nil {
		fmt.Fprintf(env.Stderr, "kumo login: %v\n", err)
		return 2
	}
	acct := account.Account{Service: account.Service(*service), URL: *rawURL, User: *user, Device: *device, CAFile: *caFile}
	switch acct.Service {
	case account.InfiniCLOUD:
		u, err := account.InfiniCLOUDURL(*rawURL, *area)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kumo login: %v\n", err)
			return 1
		}
		acct.URL = u
	case account.WebDAV:
		u, err := transport.ParseServerURL(*rawURL)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kumo login: %v\n", err)
			return 1
		}
		acct.URL = u.String()
	default:
		fmt.Fprintf(env.Stderr, "kumo login: unknown service %q: use infinicloud or webdav\n", *service)
		return 2
	}

	secrets, err := readLoginSecrets(env, *passwordFile, *apiKeyFile)
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo login: %v\n", err)
		return 1
	}
	acct.HasAPIKey = secrets.APIKey != ""
	cfg, path, code := loadConfig(env)
	if cfg == nil {
		return code
	}
	logger := newLogger(env.Stderr, false, acct.User, secrets.Password, secrets.APIKey)
	st, err := account.Check(ctx, acct, secrets, account.Options{Logger: logger, MachineID: cfg.MachineID, TakeOver: *takeOver})
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo login: %v\n", err)
		return 1
	}

	keyringErr := account.SaveSecrets(acct, secrets)
	if keyringErr != nil && !errors.Is(keyringErr, account.ErrNoKeyring) {
		fmt.Fprintf(env.Stderr, "kumo login: %v\n", keyringErr)
		return 1
	}
	cfg.Account = &acct
	if err := cfg.Save(path); err != nil {
		fmt.Fprintf(env.Stderr, "kumo login: %v\n", err)
		return 1
	}
	logger.Info("signed in", "user", acct.User, "url", acct.URL, "device", acct.Device, "keyring", keyringErr == nil)
	fmt.Fprintf(env.Stdout, "Signed in as %s on %s. This computer backs up as %q to %s%s/\n", acct.User, acct.Host(), acct.Device, acct.URL, acct.Device)
	printQuota(env.Stdout, st)
	if keyringErr != nil {
		fmt.Fprintf(env.Stderr, "The password was NOT saved: %v\nThe account settings were saved; give the password to each command with %s or --password-file.\n",
			keyringErr, account.PasswordEnv)
	} else {
		fmt.Fprintln(env.Stdout, "The password is kept in the system keyring.")
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
		s.Password, err = promptPassword(env, "Apps Password: ")
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
		s.APIKey = strings.TrimSpace(env.Getenv(APIKeyEnv))
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
	line, err := bufio.NewReader(stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err == nil || err == io.EOF {
			err = errors.New("no password given: type it when asked, or use --password-file")
		}
		return "", err
	}
	return line, nil
}

func runLogout(_ context.Context, env Env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(env.Stderr, "Usage: kumo logout")
		return 2
	}
	cfg, path, code := loadConfig(env)
	if cfg == nil {
		return code
	}
	if cfg.Account == nil {
		fmt.Fprintln(env.Stdout, "Not signed in.")
		return 0
	}
	acct := *cfg.Account
	if err := account.DeleteSecrets(acct); err != nil && !errors.Is(err, account.ErrNoKeyring) {
		fmt.Fprintf(env.Stderr, "kumo logout: %v\n", err)
		return 1
	}
	cfg.Account = nil
	if err := cfg.Save(path); err != nil {
		fmt.Fprintf(env.Stderr, "kumo logout: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "Signed out %s from %s; the password was removed from the keyring. Backups on the server are kept.\n", acct.User, acct.Host())
	return 0
}

func runStatus(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("kumo status", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	passwordFile := fs.String("password-file", "", "read the password from this file (mode 0600) instead of the keyring")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s, code := signedIn(env, "kumo status", *passwordFile)
	if s == nil {
		return code
	}
	acct := s.acct
	fmt.Fprintf(env.Stdout, "Account:  %s on %s (%s)\nDevice:   %s\nBackups:  %s%s/\nLog file: %s\n",
		acct.User, acct.Host(), acct.Service, acct.Device, acct.URL, acct.Device, LogPath())
	logger := newLogger(env.Stderr, false, acct.User, s.secrets.Password, s.secrets.APIKey)
	st, err := account.Check(ctx, acct, s.secrets, account.Options{RootCAs: s.roots, Logger: logger, MachineID: s.cfg.MachineID})
	if err != nil {
		fmt.Fprintf(env.Stderr, "Connection: %v\n", err)
		return 1
	}
	fmt.Fprintln(env.Stdout, "Connection: OK")
	printQuota(env.Stdout, st)
	if len(st.Devices) > 0 {
		fmt.Fprintf(env.Stdout, "Devices on this account: %s\n", strings.Join(st.Devices, ", "))
	}
	return 0
}

func printQuota(w io.Writer, st *account.Status) {
	if st.Quota.Known {
		fmt.Fprintf(w, "Storage: %s used, %s free (from the %s)\n", human.Bytes(st.Quota.Used), human.Bytes(st.Quota.Available), st.QuotaSource)
	}
}

func runRenameDevice(ctx context.Context, env Env, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(env.Stderr, "Usage: kumo rename-device NEW-NAME")
		return 2
	}
	newName := args[0]
	if err := backup.ValidateDeviceName(newName); err != nil {
		fmt.Fprintf(env.Stderr, "kumo rename-device: %v\n", err)
		return 2
	}
	s, code := signedIn(env, "kumo rename-device", "")
	if s == nil {
		return code
	}
	acct := s.acct
	opts := account.Options{RootCAs: s.roots, Logger: newLogger(env.Stderr, false, acct.User, s.secrets.Password, s.secrets.APIKey), MachineID: s.cfg.MachineID}
	c, err := account.Connect(acct, s.secrets, opts)
	if err != nil {
		fmt.Fprintf(env.Stderr, "kumo rename-device: %v\n", err)
		return 1
	}
	defer c.Close()
	if err := account.RenameDevice(ctx, c, acct, newName, opts); err != nil {
		fmt.Fprintf(env.Stderr, "kumo rename-device: %s\n", c.Redact(err.Error()))
		return 1
	}
	old := acct.Device
	s.cfg.Account.Device = newName
	if err := s.cfg.Save(s.path); err != nil {
		fmt.Fprintf(env.Stderr, "kumo rename-device: the folder was renamed on the server, but the settings could not be saved: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "This computer now backs up as %q (its backups moved from %s%s/ to %s%s/).\n", newName, acct.URL, old, acct.URL, newName)
	return 0
}
