package service

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/problem"
	"github.com/kumo-backup/kumo/internal/session"
)

// CheckNewPassphrase refuses a new folder's passphrase that is too short
// (it does no I/O: the window asks it before it closes the dialog).
func CheckNewPassphrase(passphrase string) error { return session.CheckNewPassphrase(passphrase) }

// AddEncryptedFolder chooses a folder to back up encrypted with
// passphrase (docs/encryption.md) and starts watching it. The passphrase
// is kept in the keyring. sheet is the recovery sheet to show the user
// once; it is "" when the folder was already set up on the server (another
// install) and the passphrase opened it. A wrong passphrase, or a folder
// already backed up without encryption, adds nothing.
func (s *Service) AddEncryptedFolder(ctx context.Context, path string, excludes []string, passphrase string) (sheet string, err error) {
	if err := CheckNewPassphrase(passphrase); err != nil {
		return "", err
	}
	abs, err := s.checkNewFolder(path)
	if err != nil {
		return "", err
	}
	sess, err := s.session()
	if err != nil {
		return "", err
	}
	f := account.Folder{Path: abs, Excludes: excludes, Encrypted: true}
	u, err := sess.UnlockFolder(ctx, f, session.Given(passphrase))
	if err != nil {
		return "", sess.Explain(err)
	}
	if u.Created {
		if sheet, err = sess.RecoverySheet(u, passphrase); err != nil {
			return "", err
		}
	}
	// The session holds the key: the folder is added even when the keyring
	// refuses the passphrase (the sheet is then shown with that sentence,
	// and Folders → Passphrase… gives it again after a restart).
	kept := s.keepPassphrase(sess.Account, u.Remote, passphrase)
	if err := s.addFolder(f); err != nil {
		return sheet, err
	}
	return sheet, kept
}

// UnlockFolder gives an encrypted folder's passphrase again, when the
// keyring lost it (or never kept it): it is checked against the folder's
// marker, kept, and the folder's backup goes on. A wrong one changes
// nothing.
func (s *Service) UnlockFolder(ctx context.Context, path, passphrase string) error {
	sess, err := s.session()
	if err != nil {
		return err
	}
	cfg := s.Config()
	i := slices.IndexFunc(cfg.Folders, func(f account.Folder) bool { return f.Path == path })
	if i < 0 || !cfg.Folders[i].Encrypted {
		return fmt.Errorf("%s is not an encrypted folder of this computer", path)
	}
	u, err := sess.UnlockFolder(ctx, cfg.Folders[i], session.Given(passphrase))
	if err != nil {
		return sess.Explain(err)
	}
	if err := s.keepPassphrase(sess.Account, u.Remote, passphrase); err != nil {
		return err
	}
	return s.updateFolder(path, func(*account.Folder) {}) // its engine starts again, with the key
}

// NeedsPassphrase reports whether err is an encrypted folder asked for
// without its passphrase, or with a wrong one: the moment to ask for it.
func NeedsPassphrase(err error) bool {
	var locked *format.LockedError
	return errors.As(err, &locked)
}

// UnlockBackups opens an encrypted folder's backups for restoring with its
// passphrase; a wrong one is a problem with its own sentence, and nothing
// is read.
func (s *Service) UnlockBackups(ctx context.Context, device, folder, passphrase string) error {
	sess, err := s.session()
	if err != nil {
		return err
	}
	s.redactor.Add("", passphrase)
	r, err := restore.Unlock(ctx, sess.Client, device, folder, func() (string, error) { return passphrase, nil })
	if err != nil {
		return sess.Explain(err)
	}
	s.mu.Lock()
	s.unlockedLocked(sess)[device+"/"+folder] = r
	s.mu.Unlock()
	return nil
}

// backups is what a folder's backups are read through: as they are, or
// through its encryption, opened with the passphrase given to
// UnlockBackups or kept in the keyring; otherwise a LockedError.
func (s *Service) backups(ctx context.Context, sess *session.Session, device, folder string) (restore.Remote, error) {
	key := device + "/" + folder
	s.mu.Lock()
	r := s.unlockedLocked(sess)[key]
	s.mu.Unlock()
	if r != nil {
		return r, nil
	}
	r, err := restore.Unlock(ctx, sess.Client, device, folder, func() (string, error) {
		if p, err := s.knownPassphrase(sess.Account, key); err == nil && p != "" {
			return p, nil
		}
		return "", &format.LockedError{Folder: format.Folder{Device: device, Name: folder}}
	})
	if err != nil {
		return nil, sess.Explain(err)
	}
	if r != restore.Remote(sess.Client) {
		s.mu.Lock()
		s.unlockedLocked(sess)[key] = r
		s.mu.Unlock()
	}
	return r, nil
}

// unlockedLocked is the opened folders of sess; those of an earlier
// session (signed out, or another account) are forgotten.
func (s *Service) unlockedLocked(sess *session.Session) map[string]restore.Remote {
	if s.unlockedBy != sess || s.unlocked == nil {
		s.unlocked, s.unlockedBy = map[string]restore.Remote{}, sess
	}
	return s.unlocked
}

// passphraseSource is where the session finds a folder's passphrase: the
// keyring, or the service's memory with NoKeyring.
func (s *Service) passphraseSource() func(string) (string, error) {
	if !s.opts.NoKeyring {
		return nil
	}
	return func(remote string) (string, error) {
		if p, ok := s.passphrases.Load(remote); ok {
			return p.(string), nil
		}
		return "", account.ErrNoSecret
	}
}

func (s *Service) knownPassphrase(a account.Account, remote string) (string, error) {
	if load := s.passphraseSource(); load != nil {
		return load(remote)
	}
	return account.LoadPassphrase(a, remote)
}

// keepPassphrase keeps an encrypted folder's passphrase for its engines
// and the restore wizard: in the keyring, never in a file.
func (s *Service) keepPassphrase(a account.Account, remote, passphrase string) error {
	if s.opts.NoKeyring {
		s.passphrases.Store(remote, passphrase)
		return nil
	}
	if err := account.SavePassphrase(a, remote, passphrase); err != nil {
		return problem.New(problem.KeyringUnavailable, problem.Args{"cause": err.Error()}, err)
	}
	return nil
}

// movePassphrases follows this computer's new name (RenameDevice): its
// encrypted folders' passphrases are kept by device/name.
func (s *Service) movePassphrases(a account.Account, from, to string, folders []account.Folder) error {
	var errs []error
	for _, f := range folders {
		if !f.Encrypted {
			continue
		}
		old, err1 := format.RemoteFolder(from, f.Path)
		newer, err2 := format.RemoteFolder(to, f.Path)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := s.knownPassphrase(a, old)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Path, err))
			continue
		}
		if err := s.keepPassphrase(a, newer, p); err != nil {
			errs = append(errs, err)
			continue
		}
		s.forgetPassphrase(a, old)
	}
	return errors.Join(errs...)
}

func (s *Service) forgetPassphrase(a account.Account, remote string) {
	if s.opts.NoKeyring {
		s.passphrases.Delete(remote)
		return
	}
	account.DeletePassphrase(a, remote)
}

// forgetFolderPassphrase removes the passphrase of one of this computer's
// folders, when it is encrypted (signing out, Stop backing up).
func (s *Service) forgetFolderPassphrase(a account.Account, f account.Folder) {
	if remote, err := format.RemoteFolder(a.Device, f.Path); err == nil && f.Encrypted {
		s.forgetPassphrase(a, remote)
	}
}

// EncryptFolder turns encryption on for a folder backed up without it.
// Its unencrypted backup is set aside on the server as aside ("Documents
// (unencrypted 2026-12-04 0930)"), where it stays restorable until the user
// deletes it, and every file is uploaded again, encrypted. The window says
// so, with the size, before it calls this.
func (s *Service) EncryptFolder(ctx context.Context, path, passphrase string) (sheet, aside string, err error) {
	if err := CheckNewPassphrase(passphrase); err != nil {
		return "", "", err
	}
	sess, err := s.session()
	if err != nil {
		return "", "", err
	}
	ix, err := sess.Index()
	if err != nil {
		return "", "", err
	}
	s.mu.Lock()
	i, runner, err := s.detachLocked(path)
	if err != nil {
		s.mu.Unlock()
		return "", "", err
	}
	f := s.cfg.Folders[i]
	s.mu.Unlock()
	if runner != nil {
		runner.Stop(path) // no pass may write the index or the server meanwhile
	}
	restart := func(f account.Folder) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.IndexFunc(s.cfg.Folders, func(c account.Folder) bool { return c.Path == path }); i >= 0 {
			s.cfg.Folders[i] = f
			if err := s.saveLocked(); err != nil {
				s.log.Error("saving the settings", "err", err)
			}
			s.startFolderLocked(f)
		}
		s.changedLocked()
	}
	if f.Encrypted {
		restart(f)
		return "", "", fmt.Errorf("%s is already encrypted", path)
	}
	aside = msg.T("%s (unencrypted %s)", filepath.Base(path), s.opts.Now().Format("2006-01-02 1504"))
	if err := backup.SetAside(ctx, sess.Client, ix, sess.Account.Device, path, aside); err != nil {
		restart(f)
		return "", "", sess.Explain(err)
	}
	f.Encrypted = true
	u, err := sess.UnlockFolder(ctx, f, session.Given(passphrase))
	if err != nil {
		f.Encrypted = false // backed up afresh without encryption: the set-aside copy stays
		restart(f)
		return "", aside, sess.Explain(err)
	}
	// The session holds the key now: the folder goes on encrypted even
	// when the keyring refuses the passphrase (it is then asked next time).
	kept := s.keepPassphrase(sess.Account, u.Remote, passphrase)
	if u.Created {
		if sheet, err = sess.RecoverySheet(u, passphrase); err != nil {
			kept = errors.Join(kept, err)
		}
	}
	restart(f)
	return sheet, aside, kept
}
