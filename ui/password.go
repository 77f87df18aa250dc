package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	"github.com/kumo-backup/kumo/internal/service"
)

// passwordPrompt asks for the new Apps Password after the server refused
// the old one mid-backup. It is shown once per refusal; "Later" leaves
// the backup held and the problem listed on the Status tab.
type passwordPrompt struct {
	dlg       dialog.Dialog
	entry     *widget.Entry
	message   *widget.Label
	submitBtn *widget.Button
}

// askPassword shows the prompt if the service is waiting for a password
// and it was not shown for this refusal yet; it hides it once resolved.
func (k *App) askPassword(waiting bool) {
	switch {
	case waiting && !k.askedPassword:
		k.askedPassword = true
		k.prompt = newPasswordPrompt(k)
		k.Show()
		k.prompt.dlg.Show()
		k.win.Canvas().Focus(k.prompt.entry)
	case !waiting:
		k.askedPassword = false
		if k.prompt != nil {
			k.prompt.dlg.Hide()
			k.prompt = nil
		}
	}
}

func newPasswordPrompt(k *App) *passwordPrompt {
	p := &passwordPrompt{entry: widget.NewPasswordEntry(), message: widget.NewLabel("")}
	p.entry.SetPlaceHolder(tr("Apps Password"))
	p.message.Wrapping = fyne.TextWrapWord
	explain := widget.NewLabel(tr("InfiniCLOUD no longer accepts the Apps Password Kumo has: it was reissued, or Apps Connection " +
		"was turned off on My Page. Backing up is paused; nothing is lost. Enter the new Apps Password to continue."))
	explain.Wrapping = fyne.TextWrapWord
	later := widget.NewButton(tr("Later"), func() { p.dlg.Hide() })
	p.submitBtn = widget.NewButton(tr("Continue"), nil)
	p.submitBtn.Importance = widget.HighImportance
	submit := func() {
		pw := p.entry.Text
		if pw == "" {
			p.message.SetText(tr("Enter the Apps Password shown on My Page → Apps Connection."))
			return
		}
		p.submitBtn.Disable()
		p.message.SetText(tr("Checking…"))
		background(func() (struct{}, error) {
			ctx, cancel := context.WithTimeout(k.svc.Context(), time.Minute)
			defer cancel()
			return struct{}{}, k.svc.Reauthenticate(ctx, pw)
		}, func(_ struct{}, err error) {
			p.submitBtn.Enable()
			if err != nil {
				p.message.SetText(service.Sentence(err))
				return
			}
			p.message.SetText("")
			p.dlg.Hide()
		})
	}
	p.submitBtn.OnTapped = submit
	p.entry.OnSubmitted = func(string) { submit() }
	content := container.NewVBox(explain, widget.NewForm(widget.NewFormItem(tr("Apps Password"), p.entry)), p.message,
		container.NewHBox(later, p.submitBtn))
	p.dlg = dialog.NewCustomWithoutButtons(tr("The server refused the password"), content, k.win)
	p.dlg.Resize(fyne.NewSize(480, 0))
	return p
}
