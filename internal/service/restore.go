package service

import (
	"context"
	"path/filepath"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/session"
)

// What the restore wizard works with: the moments a folder can be restored
// to, a folder as it was at one, its files, and what a restore did.
type (
	Snapshot       = restore.Snapshot
	SnapshotView   = restore.View
	RestoreFile    = restore.File
	RestoreNode    = restore.Node
	RestoreOptions = restore.Options
	RestoreSummary = restore.Summary
	RestoreStatus  = restore.Progress
	Conflict       = restore.Conflict
	RestoreRules   = restore.Rules
)

// What to do when the destination already has a different file.
const (
	KeepExisting = restore.Skip
	KeepBoth     = restore.KeepBoth
	Replace      = restore.Overwrite
)

// RenamingsFile is the list of renamings a restore leaves in its destination.
const RenamingsFile = restore.RenamingsFile

// RestoreTotal counts files and bytes.
func RestoreTotal(files []RestoreFile) (int, int64) { return restore.Total(files) }

// Devices lists the computers that back up to this account.
func (s *Service) Devices(ctx context.Context) ([]string, error) {
	sess, err := s.session()
	if err != nil {
		return nil, err
	}
	devices, err := account.ListDevices(sess.Client)
	return devices, sess.Explain(err)
}

// BackedUpFolders lists the folders a device has backups of.
func (s *Service) BackedUpFolders(ctx context.Context, device string) ([]string, error) {
	sess, err := s.session()
	if err != nil {
		return nil, err
	}
	return restore.Folders(ctx, sess.Client, device)
}

// Snapshots lists the moments a device's folder can be restored to, oldest first.
func (s *Service) Snapshots(ctx context.Context, device, folder string) ([]Snapshot, error) {
	sess, err := s.session()
	if err != nil {
		return nil, err
	}
	r, err := s.backups(ctx, sess, device, folder)
	if err != nil {
		return nil, err
	}
	snaps, err := restore.Snapshots(ctx, r, device, folder)
	return snaps, sess.Explain(err)
}

// OpenSnapshot reads what a folder held at a moment (the newest backup at
// or before at).
func (s *Service) OpenSnapshot(ctx context.Context, device, folder string, at time.Time) (*SnapshotView, error) {
	sess, err := s.session()
	if err != nil {
		return nil, err
	}
	r, err := s.backups(ctx, sess, device, folder)
	if err != nil {
		return nil, err
	}
	v, err := restore.Open(ctx, r, device, folder, at)
	return v, sess.Explain(err)
}

// Restore writes the chosen files of a snapshot; ctx cancels it (the file
// being written is removed).
func (s *Service) Restore(ctx context.Context, v *SnapshotView, opts RestoreOptions) (*RestoreSummary, error) {
	sess, err := s.session()
	if err != nil {
		return nil, err
	}
	opts.Logger = s.log
	if opts.Rules == nil {
		opts.Rules = s.opts.DestinationRules
	}
	session.WordRestore(&opts)
	sum, err := v.Restore(ctx, opts)
	return sum, sess.Explain(err)
}

// OriginalFolder is where this computer backs up a folder of that name
// from, or "" when it is another computer's or no longer chosen.
func (s *Service) OriginalFolder(device, folder string) string {
	if device != s.Device() {
		return ""
	}
	for _, f := range s.Config().Folders {
		if filepath.Base(f.Path) == folder {
			return f.Path
		}
	}
	return ""
}

// Renaming is a name the destination cannot hold as it is, and what it is
// written as; Why is worded in the language in use.
type Renaming struct {
	From, To, Why string
}

// RestoreRenamings says, before a restore into to starts, which of the
// chosen paths will be written under another name there, and what the
// destination was found to accept (it tries names in the destination's
// nearest existing folder: call it off the UI goroutine).
func (s *Service) RestoreRenamings(v *SnapshotView, to string, paths []string) ([]Renaming, string, error) {
	list, rules, err := v.Renamings(to, paths, s.opts.DestinationRules)
	if err != nil {
		return nil, "", err
	}
	out := make([]Renaming, len(list))
	for i, r := range list {
		out[i] = Renaming{From: r.From, To: r.To, Why: session.ExplainRenaming(r.Why)}
	}
	return out, session.DescribeRules(rules), nil
}
