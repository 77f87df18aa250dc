package ui

import (
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/service"
)

// passphraseDialog asks for an encrypted folder's passphrase: twice for a
// new folder, once to open one. submit does the work in the background and
// answers on the UI goroutine: an error keeps the dialog open with its
// sentence, nil closes it.
type passphraseDialog struct {
	dlg     dialog.Dialog
	entry   *widget.Entry
	again   *widget.Entry // nil when the passphrase is asked once
	message *widget.Label
	ok      *widget.Button
}

func newPassphraseDialog(win fyne.Window, title, explain string, twice bool, submit func(passphrase string, done func(error))) *passphraseDialog {
	p := &passphraseDialog{entry: widget.NewPasswordEntry(), message: widget.NewLabel("")}
	p.message.Wrapping = fyne.TextWrapWord
	words := widget.NewLabel(explain)
	words.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem(tr("Passphrase"), p.entry))
	if twice {
		p.again = widget.NewPasswordEntry()
		form.Append(tr("The same again"), p.again)
	}
	cancel := widget.NewButton(tr("Cancel"), func() { p.dlg.Hide() })
	p.ok = widget.NewButton(tr("Continue"), nil)
	p.ok.Importance = widget.HighImportance
	p.ok.OnTapped = func() {
		var tooShort error
		if twice {
			tooShort = service.CheckNewPassphrase(p.entry.Text)
		}
		switch {
		case p.entry.Text == "":
			p.message.SetText(tr("Type the passphrase."))
			return
		case tooShort != nil:
			p.message.SetText(service.Sentence(tooShort))
			return
		case twice && p.again.Text != p.entry.Text:
			p.message.SetText(tr("The two passphrases differ: type the same one twice."))
			return
		}
		p.ok.Disable()
		p.message.SetText(tr("Checking…"))
		submit(p.entry.Text, func(err error) {
			p.ok.Enable()
			if err != nil {
				p.message.SetText(service.Sentence(err))
				return
			}
			p.dlg.Hide()
		})
	}
	p.entry.OnSubmitted = func(string) { p.ok.OnTapped() }
	content := container.NewVBox(words, form, p.message, container.NewHBox(cancel, p.ok))
	p.dlg = dialog.NewCustomWithoutButtons(title, content, win)
	p.dlg.Resize(fyne.NewSize(520, 0))
	p.dlg.Show()
	win.Canvas().Focus(p.entry)
	return p
}

// recoverySheet shows an encrypted folder's recovery sheet, the one time
// Kumo shows it, with ways to keep it: save to a file, or copy.
type recoverySheet struct {
	dlg     dialog.Dialog
	text    *widget.Label
	message *widget.Label
}

func showRecoverySheet(win fyne.Window, sheet string) *recoverySheet {
	r := &recoverySheet{text: widget.NewLabelWithStyle(sheet, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}), message: widget.NewLabel("")}
	r.text.Selectable = true
	r.message.Wrapping = fyne.TextWrapWord
	intro := widget.NewLabel(tr("Print or save this sheet now and keep it somewhere safe: Kumo shows it only this once. " +
		"Without the passphrase nobody, not Kumo nor InfiniCLOUD, can bring the files back."))
	intro.Wrapping = fyne.TextWrapWord
	save := widget.NewButton(tr("Save…"), func() {
		d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
			if err != nil || w == nil {
				return
			}
			path := w.URI().Path()
			w.Close()
			background(func() (struct{}, error) { return struct{}{}, os.WriteFile(path, []byte(sheet), 0o600) },
				func(_ struct{}, err error) {
					if err != nil {
						r.message.SetText(tr("The sheet could not be saved: %v", err))
						return
					}
					r.message.SetText(tr("Saved to %s (readable by you only).", path))
				})
		}, win)
		d.SetFileName(tr("Kumo recovery sheet.txt"))
		d.Show()
	})
	cp := widget.NewButton(tr("Copy"), func() {
		fyne.CurrentApp().Clipboard().SetContent(sheet)
		r.message.SetText(tr("Copied: paste it into a document you keep safe, then clear the clipboard."))
	})
	done := widget.NewButton(tr("I have kept it"), func() { r.dlg.Hide() })
	done.Importance = widget.HighImportance
	content := container.NewBorder(intro, container.NewVBox(r.message, container.NewHBox(save, cp, done)), nil, nil, container.NewScroll(r.text))
	r.dlg = dialog.NewCustomWithoutButtons(tr("Recovery sheet"), content, win)
	r.dlg.Resize(fyne.NewSize(760, 560))
	r.dlg.Show()
	return r
}
