package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/service"
)

// momentStep chooses one of the moments that have a backup, newest first.
type momentStep struct {
	w      *restoreWizard
	list   *widget.List
	snaps  []service.Snapshot // oldest first, as the service gives them
	chosen int
	device string
	folder string
	unlock *passphraseDialog // asking an encrypted folder's passphrase
}

func newMomentStep(w *restoreWizard) *momentStep {
	m := &momentStep{w: w}
	m.list = widget.NewList(func() int { return len(m.snaps) },
		func() fyne.CanvasObject { return widget.NewLabel(tr("2026-01-01 00:00:00 (latest)")) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			label := m.snaps[len(m.snaps)-1-i].Time.Local().Format(tr("Mon 2 Jan 2006 15:04:05"))
			if i == 0 {
				label = tr("%s (latest)", label)
			}
			o.(*widget.Label).SetText(label)
		})
	m.list.OnSelected = func(i widget.ListItemID) { m.chosen = len(m.snaps) - 1 - i }
	return m
}

func (m *momentStep) frame() (string, string, bool) {
	return tr("2. As of when? These are the moments that have a backup."), tr("Next"), true
}

func (m *momentStep) content() fyne.CanvasObject { return m.list }

func (m *momentStep) forward() {
	m.w.sel.load(m.device, m.folder, m.snaps[m.chosen])
}

// load reads the moments of a folder, then shows them.
func (m *momentStep) load(device, folder string) {
	svc, ctx := m.w.app.svc, m.w.ctx
	m.w.say(tr("Reading the list of backups…"))
	background(func() ([]service.Snapshot, error) { return svc.Snapshots(ctx, device, folder) },
		func(snaps []service.Snapshot, err error) {
			if service.NeedsPassphrase(err) {
				m.w.say(service.Sentence(err))
				m.askPassphrase(device, folder)
				return
			}
			if err != nil || len(snaps) == 0 {
				msg := tr("none was found")
				if err != nil {
					msg = service.Sentence(err)
				}
				m.w.say(tr("No backup of %s was found: %s", folder, msg))
				return
			}
			m.device, m.folder, m.snaps, m.chosen = device, folder, snaps, len(snaps)-1
			m.w.show(stepMoment)
			m.list.Refresh()
			m.list.Select(0)
		})
}

// askPassphrase opens an encrypted folder's backups with its passphrase,
// then reads its moments.
func (m *momentStep) askPassphrase(device, folder string) {
	svc, ctx := m.w.app.svc, m.w.ctx
	explain := tr("The backups of %s are encrypted. Type the passphrase chosen when the folder was added; it is on the recovery sheet.", folder)
	m.unlock = newPassphraseDialog(m.w.win, tr("Passphrase for %s", folder), explain, false, func(passphrase string, done func(error)) {
		background(func() (struct{}, error) { return struct{}{}, svc.UnlockBackups(ctx, device, folder, passphrase) },
			func(_ struct{}, err error) {
				done(err)
				if err == nil {
					m.load(device, folder)
				}
			})
	})
}
