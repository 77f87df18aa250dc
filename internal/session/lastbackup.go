package session

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/kumo-backup/kumo/account"
)

// shareEvery bounds how often the last backups are written when nothing
// is news: other computers read them in days.
const shareEvery = 6 * time.Hour

// lastBackupShare is one write of the last backups at a time, and when the
// last one started.
type lastBackupShare struct {
	mu      sync.Mutex
	sending bool
	sentAt  time.Time
}

// ShareLastBackups tells the account's other computers, through the device
// folder's .kumo-last-backup.json, when each folder (by its name on the
// server) was last fully backed up: now when it is news (a folder caught
// up), otherwise at most every 6 hours, one write at a time, in the
// background. The app and `kumo daemon` both call it.
func (s *Session) ShareLastBackups(ctx context.Context, folders map[string]time.Time, now time.Time, news bool) {
	sh := &s.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(folders) == 0 || sh.sending || (!news && now.Sub(sh.sentAt) < shareEvery) {
		return
	}
	sh.sending, sh.sentAt = true, now
	b := account.LastBackup{Device: s.Account.Device, Folders: maps.Clone(folders)}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := account.WriteLastBackup(ctx, s.Client, b); err != nil && ctx.Err() == nil {
			s.opts.Logger.Info("could not tell the account's other computers when this one last backed up", "err", err)
		}
		sh.mu.Lock()
		sh.sending = false
		sh.mu.Unlock()
	}()
}
