package cli

import (
	"context"
	"fmt"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/internal/msg"
)

func runBackup(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo backup", msg.T("Usage: kumo backup --once [flags] FOLDER          with the account of `kumo login`\n"+
		"       kumo backup --once --url URL --user ID FOLDER\n       kumo backup --demo FOLDER\n\n"+
		"The password comes from the keyring, --password-file or the KUMO_PASSWORD environment variable.\n"+
		"An encrypted folder's passphrase comes from the keyring, --passphrase-file, KUMO_PASSPHRASE or the terminal."))
	once := c.fs.Bool("once", false, msg.T("back up once and exit"))
	c.connect(msg.T("back up to a built-in InfiniCLOUD emulator on this computer (no account needed; implies --once)"))
	c.tuning(msg.T("parallel uploads"))
	encrypt := c.fs.Bool("encrypt", false, msg.T("encrypt the folder's backup (rclone's crypt format, names kept): asks for a new passphrase the first time"))
	passphraseFile := c.passphraseFlag()
	var excludes patterns
	c.fs.Var(&excludes, "exclude", msg.T("leave out paths matching this gitignore-style pattern (repeatable); editor and system temp files are always left out"))
	if code, ok := c.parse(args); !ok {
		return code
	}
	if c.fs.NArg() != 1 {
		return c.usageError()
	}
	folder := c.fs.Arg(0)
	if !*once && !c.demo {
		return c.errorf(2, "%s", msg.T("add --once to back up once and exit; `kumo daemon` keeps backing up"))
	}
	s, _, code := c.open()
	if s == nil {
		return code
	}
	defer s.Close()
	if s.IsDemo() {
		defer fmt.Fprintf(env.Stdout, msg.T("The demo server keeps its files in %s\n"), s.DemoFiles)
	}
	f := account.Folder{Path: folder, Excludes: excludes, Encrypted: *encrypt}
	if err := c.unlockBackup(ctx, s, &f, *passphraseFile); err != nil {
		return c.fail(s, err)
	}
	sum, err := s.Once(ctx, f)
	if sum != nil {
		printSummary(env.Stdout, s.Client.URL(sum.Remote+"/"), sum)
		s.Logger().Info("backup finished", "folder", folder, "remote", s.Client.URL(sum.Remote+"/"),
			"files", sum.Files, "bytes", sum.Bytes, "failed", len(sum.Failed), "took", sum.Duration)
	}
	if err != nil {
		return c.fail(s, err)
	}
	if len(sum.Failed) > 0 {
		return 1
	}
	return 0
}
