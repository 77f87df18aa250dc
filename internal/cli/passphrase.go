package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/session"
)

// PassphraseEnv gives an encrypted folder's passphrase without the keyring or a prompt.
const PassphraseEnv = "KUMO_PASSPHRASE"

// passphraseFlag adds --passphrase-file to the command.
func (c *cmd) passphraseFlag() *string {
	return c.fs.String("passphrase-file", "", msg.T("read an encrypted folder's passphrase from this file (readable by you only) instead of asking"))
}

// passphrase finds an encrypted folder's passphrase: a file, the
// environment, the keyring, or the terminal, where a new one is asked twice.
func (c *cmd) passphrase(s *session.Session, device, name, file string, isNew bool) (string, error) {
	p, err := c.findPassphrase(s, device, name, file, isNew)
	if err == nil && isNew {
		err = session.CheckNewPassphrase(p)
	}
	return p, err
}

func (c *cmd) findPassphrase(s *session.Session, device, name, file string, isNew bool) (string, error) {
	switch {
	case file != "":
		return account.ReadPasswordFile(file)
	case c.env.Getenv(PassphraseEnv) != "":
		return c.env.Getenv(PassphraseEnv), nil
	}
	if !isNew && device == s.Account.Device {
		if p, err := account.LoadPassphrase(s.Account, device+"/"+name); err == nil && p != "" {
			return p, nil
		}
	}
	if !isNew {
		return promptSecret(c.env, msg.T("Passphrase for %s/%s: ", device, name))
	}
	fmt.Fprintf(c.env.Stderr, msg.T("%s/%s will be encrypted. Choose a passphrase: without it nobody, not Kumo nor InfiniCLOUD, can bring the files back.\n"), device, name)
	p, err := promptSecret(c.env, msg.T("Passphrase for %s/%s: ", device, name))
	if err != nil || session.CheckNewPassphrase(p) != nil {
		return p, err // too short: said by passphrase before it is asked again
	}
	again, err := promptSecret(c.env, msg.T("The same passphrase again: "))
	if err != nil {
		return "", err
	}
	if again != p {
		return "", errors.New(msg.T("the two passphrases differ: nothing was set up; run the command again"))
	}
	return p, nil
}

// promptSecret asks on the terminal without echo, or reads a line of stdin.
func promptSecret(env Env, prompt string) (string, error) {
	p, err := promptPassword(env, prompt)
	if err != nil && strings.Contains(err.Error(), "no password given") {
		return "", errors.New(msg.T("no passphrase given: type it when asked, or use --passphrase-file or KUMO_PASSPHRASE"))
	}
	return p, err
}

// unlockBackup readies an encrypted folder before it is backed up: with
// --encrypt, or because the server says it is encrypted. A new folder's
// recovery sheet is printed once.
func (c *cmd) unlockBackup(ctx context.Context, s *session.Session, f *account.Folder, file string) error {
	remote, err := format.RemoteFolder(s.Account.Device, f.Path)
	if err != nil {
		return err
	}
	rf := format.FolderOf(remote)
	var passphrase string
	u, err := s.UnlockFolder(ctx, *f, func(isNew bool) (string, error) {
		p, err := c.passphrase(s, rf.Device, rf.Name, file, isNew)
		passphrase = p
		return p, err
	})
	if err != nil || u == nil {
		return err // u is nil for a folder that is not encrypted
	}
	f.Encrypted = true
	if err := account.SavePassphrase(s.Account, remote, passphrase); err != nil && !s.IsDemo() {
		fmt.Fprintln(c.env.Stderr, msg.T("The passphrase could not be kept in the system keyring (%v): give it again next time.", err))
	}
	if u.Created {
		sheet, err := s.RecoverySheet(u, passphrase)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.env.Stdout, msg.T("Encryption is set up. Print or save this recovery sheet now; Kumo shows it only this once:"))
		fmt.Fprintln(c.env.Stdout, sheet)
	}
	return nil
}

// unlockRestore reads folder through its encryption when it has one.
func (c *cmd) unlockRestore(ctx context.Context, s *session.Session, device, folder, file string) (restore.Remote, error) {
	return restore.Unlock(ctx, s.Client, device, folder, func() (string, error) {
		return c.passphrase(s, device, folder, file, false)
	})
}
