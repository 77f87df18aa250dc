package ui

import (
	"path/filepath"
	"sort"
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

var policyNames = map[string]service.Conflict{
	"Keep the file that is there (skip)":       service.KeepExisting,
	"Keep both (the restored one gets a date)": service.KeepBoth,
	"Replace it with the restored one":         service.Replace,
}

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
	d.dest = widget.NewRadioGroup([]string{destOriginal, destOther}, func(c string) {
		if c == destOther {
			d.destPath.Enable()
		} else {
			d.destPath.Disable()
		}
	})
	names := make([]string, 0, len(policyNames))
	for n := range policyNames {
		names = append(names, n)
	}
	sort.Strings(names)
	d.policy = widget.NewRadioGroup(names, nil)
	d.policy.SetSelected("Keep the file that is there (skip)")
	return d
}

func (d *destStep) frame() (string, string, bool) {
	return "4. Where to, and what if a file is already there?", "Restore", true
}

func (d *destStep) content() fyne.CanvasObject {
	return container.NewVBox(d.dest, d.destPath, widget.NewLabel("If a different file is already there:"), d.policy)
}

func (d *destStep) forward() {
	to := strings.TrimSpace(d.destPath.Text)
	if strings.HasPrefix(d.dest.Selected, destOriginal) {
		to = d.original()
	}
	if to == "" {
		d.w.say("Type the folder to restore into.")
		return
	}
	d.w.run.start(service.RestoreOptions{To: to, Paths: d.w.sel.selection(), Conflict: policyNames[d.policy.Selected]})
}

// prepare offers the original folder when this computer backs it up.
func (d *destStep) prepare() {
	original := d.original()
	if original == "" {
		d.dest.Options = []string{destOther}
		d.dest.SetSelected(destOther)
	} else {
		d.dest.Options = []string{destOriginal + " (" + original + ")", destOther}
		d.dest.SetSelected(d.dest.Options[0])
	}
	d.dest.Refresh()
	if d.destPath.Text == "" {
		d.destPath.SetText(filepath.Join(homeDir(), "Restored", d.w.moment.folder))
	}
}

func (d *destStep) original() string {
	return d.w.app.svc.OriginalFolder(d.w.moment.device, d.w.moment.folder)
}
