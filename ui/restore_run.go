package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/service"
)

// runStep restores, with progress and Cancel.
type runStep struct {
	w       *restoreWizard
	bar     *widget.ProgressBar
	current *widget.Label
	cancel  context.CancelFunc
}

func newRunStep(w *restoreWizard) *runStep {
	return &runStep{w: w, bar: widget.NewProgressBar(), current: widget.NewLabel("")}
}

func (r *runStep) frame() (string, string, bool) { return tr("Restoring…"), tr("Cancel"), false }

func (r *runStep) content() fyne.CanvasObject { return container.NewVBox(r.bar, r.current) }

// forward is Cancel: the file being written is removed.
func (r *runStep) forward() {
	if r.cancel != nil {
		r.cancel()
		r.w.say(tr("Cancelling: the file being written is removed…"))
	}
}

func (r *runStep) start(opts service.RestoreOptions) {
	opts.OnProgress = func(p service.RestoreStatus) {
		onUI(func() {
			if p.Bytes > 0 {
				r.bar.SetValue(float64(p.BytesDone) / float64(p.Bytes))
			}
			r.current.SetText(tr("%d of %d files · %s", p.FilesDone, p.Files, p.Current))
		})
	}
	ctx, cancel := context.WithCancel(r.w.ctx)
	r.cancel = cancel
	r.w.show(stepRun)
	svc, view := r.w.app.svc, r.w.sel.view
	background(func() (*service.RestoreSummary, error) { return svc.Restore(ctx, view, opts) },
		func(sum *service.RestoreSummary, err error) {
			cancel()
			r.cancel = nil
			r.w.done.summary = sum
			r.w.show(stepDone)
			if err != nil {
				r.w.say(service.Sentence(err))
			}
		})
}

// summaryStep says what the restore did, file by file where it matters.
type summaryStep struct {
	w       *restoreWizard
	summary *service.RestoreSummary
}

func newSummaryStep(w *restoreWizard) *summaryStep { return &summaryStep{w: w} }

func (s *summaryStep) frame() (string, string, bool) { return tr("Done"), tr("Close"), false }

func (s *summaryStep) forward() { s.w.win.Close() }

func (s *summaryStep) content() fyne.CanvasObject {
	sum := s.summary
	if sum == nil {
		return widget.NewLabel(tr("Nothing was restored."))
	}
	head := widget.NewLabelWithStyle(tr("Restored %d files (%s) into %s. %d were already there. %d skipped, %d failed.",
		sum.Restored, human.Bytes(sum.Bytes), sum.To, sum.Unchanged, len(sum.Skipped), len(sum.Failed)+len(sum.Refused)),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Wrapping = fyne.TextWrapWord
	var lines []string
	for _, n := range sum.Renamed {
		lines = append(lines, tr("Kept both: %s: %s", n.Path, n.Reason))
	}
	if sum.ListFile != "" {
		lines = append(lines, tr("%d names were written differently; the list, to undo them, is %s", len(sum.Renamings), sum.ListFile))
	}
	for _, r := range sum.Renamings {
		lines = append(lines, tr("Renamed: %s → %s", r.From, r.To))
	}
	for _, n := range sum.Skipped {
		lines = append(lines, tr("Skipped: %s: %s", n.Path, n.Reason))
	}
	for _, n := range append(sum.Failed, sum.Refused...) {
		lines = append(lines, tr("Failed: %s: %s", n.Path, n.Reason))
	}
	details := widget.NewLabel(strings.Join(lines, "\n"))
	details.Wrapping = fyne.TextWrapWord
	return container.NewBorder(head, nil, nil, nil, container.NewVScroll(details))
}
