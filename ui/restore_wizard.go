package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// openRestore opens the restore wizard in its own window.
func (k *App) openRestore() {
	if !k.svc.Connected() {
		dialog.ShowInformation(tr("Restore"), tr("Sign in first: the backups are read from your account."), k.win)
		k.Show()
		return
	}
	k.wizard = newRestoreWizard(k)
	k.wizard.win.Show()
}

// The wizard's steps, in order.
const (
	stepSource = iota
	stepMoment
	stepSelect
	stepDest
	stepRun
	stepDone
)

// wizardStep is one screen of the wizard: its words and buttons, what it
// shows, and what Next does (it moves on, often after the service answered).
type wizardStep interface {
	frame() (title, next string, canGoBack bool)
	content() fyne.CanvasObject
	forward()
}

// restoreWizard walks from a backup to files on disk: computer and folder,
// moment, selection, destination and policy, progress, summary. It is the
// window's frame; each step is a small type of its own, and every read and
// write goes through the service with the wizard's context, which ends when
// the window closes or the service does.
type restoreWizard struct {
	app    *App
	win    fyne.Window
	ctx    context.Context
	cancel context.CancelFunc
	body   *fyne.Container
	title  *widget.Label
	status *widget.Label
	back   *widget.Button
	next   *widget.Button
	step   int
	steps  []wizardStep

	source *sourceStep
	moment *momentStep
	sel    *selectStep
	dest   *destStep
	run    *runStep
	done   *summaryStep
}

func newRestoreWizard(k *App) *restoreWizard {
	w := &restoreWizard{app: k}
	w.ctx, w.cancel = context.WithCancel(k.svc.Context())
	w.win = k.fyne.NewWindow(tr("Restore – Kumo"))
	w.win.Resize(fyne.NewSize(720, 560))
	w.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.status = widget.NewLabel("")
	w.status.Wrapping = fyne.TextWrapWord
	w.body = container.NewStack()
	w.back = widget.NewButton(tr("Back"), func() { w.show(w.step - 1) })
	w.next = widget.NewButton(tr("Next"), func() { w.steps[w.step].forward() })
	w.next.Importance = widget.HighImportance
	w.win.SetContent(container.NewPadded(container.NewBorder(w.title,
		container.NewVBox(w.status, container.NewHBox(w.back, w.next)), nil, nil, w.body)))
	w.win.SetCloseIntercept(func() {
		w.cancel() // stops a restore under way; its file being written is removed
		w.win.Close()
	})
	w.source, w.moment, w.sel = newSourceStep(w), newMomentStep(w), newSelectStep(w)
	w.dest, w.run, w.done = newDestStep(w), newRunStep(w), newSummaryStep(w)
	w.steps = []wizardStep{w.source, w.moment, w.sel, w.dest, w.run, w.done}
	w.show(stepSource)
	w.source.loadDevices()
	return w
}

// show displays a step.
func (w *restoreWizard) show(step int) {
	w.step = step
	title, next, canGoBack := w.steps[step].frame()
	w.title.SetText(title)
	w.status.SetText("")
	w.next.SetText(next)
	w.next.Enable()
	if canGoBack {
		w.back.Enable()
	} else {
		w.back.Disable()
	}
	w.body.Objects = []fyne.CanvasObject{w.steps[step].content()}
	w.body.Refresh()
}

// say puts a sentence under the step.
func (w *restoreWizard) say(msg string) { w.status.SetText(msg) }
