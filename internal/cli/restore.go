package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/format"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/session"
)

func runRestore(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo restore", msg.T(`Usage: kumo restore --snapshots [FOLDER]          what can be restored
       kumo restore --ls [--at TIME] FOLDER [PATH]     a folder as it was
       kumo restore --to DIR [--at TIME] [--conflict skip|overwrite|keep-both] FOLDER [PATH...]

FOLDER is a backed-up folder's name (see --snapshots); --device picks another
computer of the same account. PATHs select files or folders inside it.`))
	fs := c.fs
	c.connect(msg.T("restore from the built-in demo server (what `kumo backup --demo` backed up)"))
	snapshots := fs.Bool("snapshots", false, msg.T("list the backed-up folders, or with FOLDER the moments it can be restored to"))
	ls := fs.Bool("ls", false, msg.T("list FOLDER (or PATH inside it) as it was at --at, without restoring"))
	at := fs.String("at", "latest", msg.T(`moment to restore: "latest", a date (the end of that day), "2026-03-02 09:30" (local time) or RFC 3339`))
	to := fs.String("to", "", msg.T("folder to restore into (created if missing)"))
	conflict := fs.String("conflict", "skip", msg.T("when a different file is already there: skip, overwrite or keep-both"))
	workers := fs.Int("workers", 4, msg.T("parallel downloads"))
	passphraseFile := c.passphraseFlag()
	if code, ok := c.parse(args); !ok {
		return code
	}
	moment, err := parseMoment(*at, c.now())
	if err != nil {
		return c.errorf(2, "%v", err)
	}
	policy, err := restore.ParseConflict(*conflict)
	if err != nil {
		return c.errorf(2, "%v", err)
	}
	if !*snapshots && (fs.NArg() == 0 || (!*ls && *to == "")) {
		if fs.NArg() > 0 {
			return c.errorf(2, "%s", msg.T("give --to DIR, the folder to restore into (the original folder works too; --conflict decides about files already there)"))
		}
		return c.usageError()
	}
	s, _, code := c.open()
	if s == nil {
		return code
	}
	defer s.Close()
	device := s.Account.Device
	switch {
	case *snapshots && fs.NArg() == 0:
		if err := listFolders(ctx, env.Stdout, s); err != nil {
			return c.fail(s, err)
		}
		return 0
	}
	store, err := c.unlockRestore(ctx, s, device, fs.Arg(0), *passphraseFile)
	if err != nil {
		return c.fail(s, err)
	}
	if *snapshots {
		snaps, err := restore.Snapshots(ctx, store, device, fs.Arg(0))
		if err != nil {
			return c.fail(s, err)
		}
		if len(snaps) == 0 {
			return c.fail(s, fmt.Errorf("%s has no backup of a folder named %q (run --snapshots for the list)", device, fs.Arg(0)))
		}
		for _, s := range snaps {
			fmt.Fprintf(env.Stdout, "%s   %s\n", s.Time.Local().Format("2006-01-02 15:04:05 MST"), s.Stamp)
		}
		return 0
	}
	v, err := restore.Open(ctx, store, device, fs.Arg(0), moment)
	if err != nil {
		return c.fail(s, err)
	}
	if *ls {
		listView(env.Stdout, v, strings.Trim(fs.Arg(1), "/"))
		return 0
	}
	n, size := restore.Total(v.Select(fs.Args()[1:]))
	fmt.Fprintf(env.Stdout, msg.T("Restoring %d files (%s) of %s/%s as of %s into %s\n"), n, human.Bytes(size),
		device, v.Folder, v.Snapshot.Time.Local().Format("2006-01-02 15:04:05"), *to)
	opts := restore.Options{To: *to, Paths: fs.Args()[1:], Conflict: policy, Workers: *workers, Logger: s.Logger()}
	session.WordRestore(&opts)
	sum, err := v.Restore(ctx, opts)
	if sum != nil {
		printRestoreSummary(env.Stdout, sum)
	}
	if err != nil {
		return c.fail(s, err)
	}
	if len(sum.Failed) > 0 || len(sum.Refused) > 0 {
		return 1
	}
	return 0
}

func listFolders(ctx context.Context, w io.Writer, s *session.Session) error {
	devices, err := account.ListDevices(s.Client)
	if err != nil {
		return fmt.Errorf("listing the computers on this account: %w", err)
	}
	for _, d := range devices {
		folders, err := restore.Folders(ctx, s.Client, d)
		if err != nil || len(folders) == 0 {
			continue
		}
		mark := ""
		if d == s.Account.Device {
			mark = msg.T(" (this computer)")
		}
		fmt.Fprintf(w, "%s%s\n", d, mark)
		for _, f := range folders {
			snaps, err := restore.Snapshots(ctx, s.Client, d, f)
			var locked *format.LockedError
			if errors.As(err, &locked) {
				fmt.Fprintf(w, msg.T("  %-30s encrypted (the passphrase is asked when it is restored)\n"), f)
				continue
			}
			if err != nil || len(snaps) == 0 {
				continue
			}
			fmt.Fprintf(w, msg.T("  %-30s %d backups, newest %s\n"), f, len(snaps), snaps[len(snaps)-1].Time.Local().Format("2006-01-02 15:04"))
		}
	}
	return nil
}

func listView(w io.Writer, v *restore.View, dir string) {
	fmt.Fprintf(w, msg.T("%s/%s as of %s\n"), v.Device, strings.TrimSuffix(v.Folder+"/"+dir, "/"), v.Snapshot.Time.Local().Format("2006-01-02 15:04:05"))
	for _, n := range v.Children(dir) {
		switch {
		case n.IsDir:
			fmt.Fprintf(w, msg.T("  %-40s %10s  %d files\n"), n.Name+"/", human.Bytes(n.Size), n.Files)
		case n.File.Link != "":
			fmt.Fprintf(w, "  %-40s %10s  -> %s\n", n.Name, "link", n.File.Link)
		default:
			fmt.Fprintf(w, "  %-40s %10s  %s\n", n.Name, human.Bytes(n.Size), n.File.MTime.Local().Format("2006-01-02 15:04"))
		}
	}
	for _, r := range v.Refused {
		fmt.Fprintf(w, msg.T("  refused %q: %s\n"), r.Path, r.Reason)
	}
}

func printRestoreSummary(w io.Writer, s *restore.Summary) {
	fmt.Fprintf(w, msg.T("Restored %d files (%s) into %s in %.1fs; %d already there\n"), s.Restored, human.Bytes(s.Bytes), s.To, s.Duration.Seconds(), s.Unchanged)
	for _, n := range s.Renamed {
		fmt.Fprintf(w, msg.T("  kept both %s: %s\n"), n.Path, n.Reason)
	}
	for _, r := range s.Renamings {
		fmt.Fprintf(w, msg.T("  renamed %s → %s: %s\n"), r.From, r.To, session.ExplainRenaming(r.Why))
	}
	if s.ListFile != "" {
		fmt.Fprintf(w, msg.T("%d names could not be written as they were here (%s) and were written under others; the list, to undo them, is %s\n"),
			len(s.Renamings), session.DescribeRules(s.Rules), s.ListFile)
	}
	for _, n := range s.Skipped {
		fmt.Fprintf(w, msg.T("  skipped %s: %s\n"), n.Path, n.Reason)
	}
	for _, n := range s.Failed {
		fmt.Fprintf(w, msg.T("  FAILED  %s: %s\n"), n.Path, n.Reason)
	}
	for _, n := range s.Refused {
		fmt.Fprintf(w, msg.T("  REFUSED %q: %s\n"), n.Path, n.Reason)
	}
	if n := len(s.Failed); n > 0 {
		fmt.Fprintf(w, msg.T("%d files were not restored; fix the reasons above and run the restore again (files already restored are kept).\n"), n)
	}
}

// parseMoment reads when to restore to; zero means the newest backup.
func parseMoment(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "latest" || s == "now" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	if d, err := time.ParseInLocation("2006-01-02", s, now.Location()); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	if t, err := time.Parse("20060102T150405.000Z", s); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New(msg.T(`cannot read the moment %q: use "latest", 2026-03-02, "2026-03-02 09:30" or 2026-03-02T09:30:00+09:00`, s))
}

func runVerify(ctx context.Context, env Env, args []string) int {
	c := newCmd(env, "kumo verify", msg.T("Usage: kumo verify [--at TIME] [--sample N | --all] FOLDER [PATH...]\n\n"+
		"Checks that the server holds every file of the backup: the size of each from\n"+
		"folder listings, and the SHA-256 of the files it downloads."))
	fs := c.fs
	c.connect(msg.T("verify the built-in demo server's backups"))
	at := fs.String("at", "latest", msg.T("moment whose backup to check"))
	sample := fs.Int("sample", 20, msg.T("download this many files, chosen at random, and check their SHA-256"))
	all := fs.Bool("all", false, msg.T("download every file and check its SHA-256"))
	workers := fs.Int("workers", 4, msg.T("parallel checks"))
	passphraseFile := c.passphraseFlag()
	if code, ok := c.parse(args); !ok {
		return code
	}
	moment, err := parseMoment(*at, c.now())
	if err != nil {
		return c.errorf(2, "%v", err)
	}
	if fs.NArg() == 0 {
		return c.usageError()
	}
	s, _, code := c.open()
	if s == nil {
		return code
	}
	defer s.Close()
	store, err := c.unlockRestore(ctx, s, s.Account.Device, fs.Arg(0), *passphraseFile)
	if err != nil {
		return c.fail(s, err)
	}
	v, err := restore.Open(ctx, store, s.Account.Device, fs.Arg(0), moment)
	if err != nil {
		return c.fail(s, err)
	}
	rep, err := v.Verify(ctx, restore.VerifyOptions{Paths: fs.Args()[1:], Sample: *sample, All: *all, Workers: *workers})
	if err != nil {
		return c.fail(s, err)
	}
	fmt.Fprintf(env.Stdout, msg.T("Checked %d files (%s) of %s/%s as of %s: %d with the right size, %d downloaded with the right SHA-256, in %.1fs\n"),
		rep.Files, human.Bytes(rep.Bytes), v.Device, v.Folder, v.Snapshot.Time.Local().Format("2006-01-02 15:04:05"),
		rep.SizesOK, rep.Hashed, rep.Duration.Seconds())
	for _, p := range append(rep.Problems, v.Refused...) {
		fmt.Fprintf(env.Stdout, msg.T("  PROBLEM %s: %s\n"), p.Path, p.Reason)
	}
	if len(rep.Problems) > 0 || len(v.Refused) > 0 {
		fmt.Fprintf(env.Stdout, msg.T("%d problems: the files above could not be restored as they were at that moment.\n"), len(rep.Problems)+len(v.Refused))
		return 1
	}
	fmt.Fprintln(env.Stdout, msg.T("Everything is there."))
	return 0
}
