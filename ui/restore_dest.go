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
}

func newDestStep(w *restoreWizard) *destStep {
	d := &destStep{w: w}
	d.destPath = widget.NewEntry()
	d.dest = widget.NewRadioGroup([]string{tr(destOriginal), tr(destOther)}, func(c string) {
		if c == tr(destOther) {
			d.destPath.Enable()
		} else {
			d.destPath.Disable()
		}
	})
	names := policyLabels()
	d.policy = widget.NewRadioGroup(names, nil)
	d.policy.SetSelected(names[0])
	return d
}

func (d *destStep) frame() (string, string, bool) {
	return tr("4. Where to, and what if a file is already there?"), tr("Restore"), true
}

func (d *destStep) content() fyne.CanvasObject {
	return container.NewVBox(d.dest, d.destPath, widget.NewLabel(tr("If a different file is already there:")), d.policy)
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
	d.w.run.start(service.RestoreOptions{To: to, Paths: d.w.sel.selection(), Conflict: conflict})
}

// prepare offers the original folder when this computer backs it up.
func (d *destStep) prepare() {
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
