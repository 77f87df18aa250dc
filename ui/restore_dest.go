package ui

import (
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/service"
)

const (
	destOriginal = "Where it was backed up from"
	destOther    = "Another folder"
)

// The answers to "what if a file is already there", in order.
const (
	policySkip    = "Keep the file that is there (skip)"
	policyBoth    = "Keep both (the restored one gets a date)"
	policyReplace = "Replace it with the restored one"
)

var policyConflicts = []service.Conflict{service.KeepExisting, service.KeepBoth, service.Replace}

func policyLabels() []string { return []string{tr(policySkip), tr(policyBoth), tr(policyReplace)} }

// destStep chooses where the files go and what happens to a different file
// already there.
type destStep struct {
	w        *restoreWizard
	dest     *widget.RadioGroup
	destPath *widget.Entry
	policy   *widget.RadioGroup
	// The names the destination cannot hold as they are, shown before the
	// restore starts: Next then restores with them (pending).
	review    *widget.Label
	renames   *widget.Label
	reviewBox *fyne.Container
	pending   *service.RestoreOptions
}

func newDestStep(w *restoreWizard) *destStep {
	d := &destStep{w: w}
	d.destPath = widget.NewEntry()
	d.destPath.OnChanged = func(string) { d.forget() }
	d.dest = widget.NewRadioGroup([]string{tr(destOriginal), tr(destOther)}, func(c string) {
		if c == tr(destOther) {
			d.destPath.Enable()
		} else {
			d.destPath.Disable()
		}
		d.forget()
	})
	names := policyLabels()
	d.policy = widget.NewRadioGroup(names, nil)
	d.policy.SetSelected(names[0])
	d.review = widget.NewLabel("")
	d.review.Wrapping = fyne.TextWrapWord
	d.renames = widget.NewLabel("")
	d.renames.TextStyle.Monospace = true
	scroll := container.NewVScroll(d.renames)
	scroll.SetMinSize(fyne.NewSize(0, 160))
	d.reviewBox = container.NewVBox(d.review, scroll)
	d.reviewBox.Hide()
	return d
}

// forget drops renamings shown for another destination.
func (d *destStep) forget() {
	if d.pending == nil {
		return
	}
	d.pending = nil
	d.reviewBox.Hide()
	d.w.next.SetText(tr("Restore"))
}

func (d *destStep) frame() (string, string, bool) {
	return tr("4. Where to, and what if a file is already there?"), tr("Restore"), true
}

func (d *destStep) content() fyne.CanvasObject {
	return container.NewVBox(d.dest, d.destPath, widget.NewLabel(tr("If a different file is already there:")), d.policy, d.reviewBox)
}

func (d *destStep) forward() {
	to := strings.TrimSpace(d.destPath.Text)
	if strings.HasPrefix(d.dest.Selected, tr(destOriginal)) {
		to = d.original()
	}
	if to == "" {
		d.w.say(tr("Type the folder to restore into."))
		return
	}
	conflict := service.KeepExisting
	for i, label := range policyLabels() {
		if label == d.policy.Selected {
			conflict = policyConflicts[i]
		}
	}
	opts := service.RestoreOptions{To: to, Paths: d.w.sel.selection(), Conflict: conflict}
	if p := d.pending; p != nil && p.To == opts.To {
		d.w.run.start(opts)
		return
	}
	// Which names the destination cannot hold as they are is found by
	// trying names there: off the UI goroutine.
	d.w.next.Disable()
	svc, view := d.w.app.svc, d.w.sel.view
	type answer struct {
		list  []service.Renaming
		rules string
	}
	background(func() (answer, error) {
		list, rules, err := svc.RestoreRenamings(view, opts.To, opts.Paths)
		return answer{list, rules}, err
	}, func(a answer, err error) {
		d.w.next.Enable()
		if err != nil {
			d.w.say(service.Sentence(err))
			return
		}
		if len(a.list) == 0 {
			d.w.run.start(opts)
			return
		}
		d.showRenamings(opts, a.list, a.rules)
	})
}

// showRenamings lists, before anything is written, the names that will be
// written differently, and turns Next into restoring with them.
func (d *destStep) showRenamings(opts service.RestoreOptions, list []service.Renaming, rules string) {
	const shown = 200
	var lines []string
	for i, r := range list {
		if i == shown {
			lines = append(lines, tr("… and %d more, all in the list left in the folder", len(list)-shown))
			break
		}
		lines = append(lines, r.From+"  →  "+r.To+"\n    "+r.Why)
	}
	d.review.SetText(tr("%d names cannot be written as they are in %s (%s). They will be restored under these names, and a list to undo them is left in the folder (%s):",
		len(list), opts.To, rules, service.RenamingsFile))
	d.renames.SetText(strings.Join(lines, "\n"))
	d.reviewBox.Show()
	d.pending = &opts
	d.w.next.SetText(tr("Restore with these names"))
}

// prepare offers the original folder when this computer backs it up.
func (d *destStep) prepare() {
	d.forget() // the selection may have changed
	original := d.original()
	if original == "" {
		d.dest.Options = []string{tr(destOther)}
		d.dest.SetSelected(tr(destOther))
	} else {
		d.dest.Options = []string{tr(destOriginal) + " (" + original + ")", tr(destOther)}
		d.dest.SetSelected(d.dest.Options[0])
	}
	d.dest.Refresh()
	if d.destPath.Text == "" {
		d.destPath.SetText(filepath.Join(homeDir(), tr("Restored"), d.w.moment.folder))
	}
}

func (d *destStep) original() string {
	return d.w.app.svc.OriginalFolder(d.w.moment.device, d.w.moment.folder)
}
