package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/service"
)

// sourceStep chooses the computer and one of its backed-up folders.
type sourceStep struct {
	w              *restoreWizard
	device, folder *widget.Select
}

func newSourceStep(w *restoreWizard) *sourceStep {
	s := &sourceStep{w: w}
	s.device = widget.NewSelect(nil, func(string) { s.loadFolders() })
	s.folder = widget.NewSelect(nil, nil)
	return s
}

func (s *sourceStep) frame() (string, string, bool) { return tr("1. Which backup?"), tr("Next"), false }

func (s *sourceStep) content() fyne.CanvasObject {
	return widget.NewForm(widget.NewFormItem(tr("Computer"), s.device), widget.NewFormItem(tr("Folder"), s.folder))
}

func (s *sourceStep) forward() {
	if s.device.Selected == "" || s.folder.Selected == "" {
		s.w.say(tr("Choose a computer and one of its folders."))
		return
	}
	s.w.moment.load(s.device.Selected, s.folder.Selected)
}

// loadDevices offers the account's computers, this one first chosen.
func (s *sourceStep) loadDevices() {
	svc, ctx := s.w.app.svc, s.w.ctx
	s.w.say(tr("Reading the computers on this account…"))
	this := svc.Device()
	background(func() ([]string, error) { return svc.Devices(ctx) }, func(devices []string, err error) {
		if err != nil {
			s.w.say(tr("Cannot list the backups: %s", service.Sentence(err)))
			return
		}
		s.w.say("")
		s.device.Options = devices
		if len(devices) > 0 {
			sel := devices[0]
			for _, d := range devices {
				if d == this {
					sel = d
				}
			}
			s.device.SetSelected(sel)
		}
	})
}

func (s *sourceStep) loadFolders() {
	svc, ctx, device := s.w.app.svc, s.w.ctx, s.device.Selected
	background(func() ([]string, error) { return svc.BackedUpFolders(ctx, device) }, func(folders []string, err error) {
		if err != nil {
			s.w.say(service.Sentence(err))
			return
		}
		s.folder.Options = folders
		s.folder.ClearSelected()
		if len(folders) > 0 {
			s.folder.SetSelected(folders[0])
		} else {
			s.w.say(tr("%s has no backed-up folder yet.", device))
		}
	})
}
