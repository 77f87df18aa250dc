package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/backup/crypt"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/internal/msg"
)

// MinPassphrase is the shortest passphrase a new encrypted folder accepts.
const MinPassphrase = 8

// CheckNewPassphrase refuses a new folder's passphrase shorter than MinPassphrase.
func CheckNewPassphrase(passphrase string) error {
	if len([]rune(passphrase)) < MinPassphrase {
		return errors.New(msg.T("The passphrase is shorter than %d characters: choose a longer one, such as a few words.", MinPassphrase))
	}
	return nil
}

// unlockTimeout bounds reading (or writing) a folder's marker when an
// engine is prepared.
const unlockTimeout = time.Minute

// Unlocked is an encrypted folder made ready: its key is kept by the
// session for the folder's engines.
type Unlocked struct {
	Remote  string // the folder on the server, device/name
	Created bool   // the folder's encryption was set up now: show the recovery sheet
	Marker  crypt.Marker
}

// UnlockFolder readies an encrypted folder: it derives the key from the
// folder's marker on the server and the passphrase, asked only when needed
// (backup.UnlockFolder), and keeps it for the folder's engines. With
// f.Encrypted a folder with no backup yet is set up (Created); without, a
// folder that is not encrypted on the server gives nil and asks nothing. It
// writes nothing when the passphrase is wrong or the folder is already
// backed up without encryption. The caller keeps the passphrase in the
// keyring (account.SavePassphrase) once this succeeds.
func (s *Session) UnlockFolder(ctx context.Context, f account.Folder, passphrase func(isNew bool) (string, error)) (*Unlocked, error) {
	remote, err := format.RemoteFolder(s.Account.Device, f.Path)
	if err != nil {
		return nil, err
	}
	key, m, created, err := backup.UnlockFolder(ctx, s.Client, s.Account.Device, f.Path, f.Encrypted, func(isNew bool) (string, error) {
		p, err := passphrase(isNew)
		if s.opts.Redactor != nil && p != "" {
			s.opts.Redactor.Add("", p)
		}
		return p, err
	})
	if err != nil || key == nil {
		return nil, err
	}
	s.keyMu.Lock()
	if s.keys == nil {
		s.keys = map[string]*crypt.Key{}
	}
	s.keys[remote] = key
	s.keyMu.Unlock()
	return &Unlocked{Remote: remote, Created: created, Marker: *m}, nil
}

// Given is a passphrase known already, for UnlockFolder.
func Given(passphrase string) func(bool) (string, error) {
	return func(bool) (string, error) { return passphrase, nil }
}

// folderKey is an encrypted folder's key: kept from UnlockFolder, or from
// the passphrase in the keyring; nil for a folder that is not encrypted.
func (s *Session) folderKey(f account.Folder) (*crypt.Key, error) {
	if !f.Encrypted {
		return nil, nil
	}
	remote, err := format.RemoteFolder(s.Account.Device, f.Path)
	if err != nil {
		return nil, err
	}
	s.keyMu.Lock()
	key := s.keys[remote]
	s.keyMu.Unlock()
	if key != nil {
		return key, nil
	}
	load := s.opts.Passphrase
	if load == nil {
		load = func(remote string) (string, error) { return account.LoadPassphrase(s.Account, remote) }
	}
	passphrase, err := load(remote)
	if errors.Is(err, account.ErrNoSecret) {
		return nil, &format.LockedError{Folder: format.FolderOf(remote)}
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	if _, err := s.UnlockFolder(ctx, f, Given(passphrase)); err != nil {
		return nil, err
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	return s.keys[remote], nil
}

// RecoverySheet is what opens an encrypted folder without Kumo: its
// passphrase and salt, and the rclone.conf lines for its current files and
// its versions (docs/encryption.md). It holds the passphrase: Kumo shows
// it, and writes it only where the user asks.
func (s *Session) RecoverySheet(u *Unlocked, passphrase string) (string, error) {
	f := format.FolderOf(u.Remote)
	name := rcloneName(f.Name)
	current, err := crypt.RcloneRemote(name, "infinicloud:"+u.Remote, passphrase, u.Marker.Salt)
	if err != nil {
		return "", err
	}
	versions, err := crypt.RcloneRemote(name+"-versions", "infinicloud:"+f.AllVersions(), passphrase, u.Marker.Salt)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, msg.T("Kumo Backup: recovery sheet of the encrypted folder %s\n\n"), u.Remote)
	b.WriteString(msg.T("Keep this sheet somewhere safe and private: whoever has it can read the folder's backups.\n" +
		"Without the passphrase nobody, not Kumo nor InfiniCLOUD, can bring the files back.\n\n"))
	fmt.Fprintf(&b, msg.T("Server:      %s\nUser:        %s\nFolder:      %s\nVersions:    %s\nPassphrase:  %s\nSalt:        %s\n\n"),
		s.Account.URL, s.Account.User, u.Remote, f.AllVersions(), passphrase, u.Marker.Salt)
	fmt.Fprintf(&b, msg.T("To restore with Kumo: install it, sign in, choose Restore, and type the passphrase when asked.\n\n"+
		"To restore with rclone alone, put these lines in rclone.conf (`rclone config file` says where it is),\n"+
		"set the pass line with `rclone obscure` and your Apps Password, then run for example\n"+
		"  rclone copy %s: ./%s\n\n"), name, f.Name)
	fmt.Fprintf(&b, "[infinicloud]\ntype = webdav\nurl = %s\nvendor = other\nuser = %s\npass = %s\n\n%s\n%s",
		strings.TrimSuffix(s.Account.URL, "/")+"/", s.Account.User, msg.T("(the output of: rclone obscure YOUR_APPS_PASSWORD)"), current, versions)
	return b.String(), nil
}

// rcloneName is a remote name rclone accepts for folder: it allows only
// ASCII letters, digits, "_", "-", "." and spaces.
func rcloneName(folder string) string {
	kept := strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, folder)
	if kept == "" {
		kept = "folder"
	}
	return "kumo-" + kept
}
