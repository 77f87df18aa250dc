package ui

import (
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/service"
)

// statusScreen is the main tab: what is happening, in words.
type statusScreen struct {
	app      *App
	content  fyne.CanvasObject
	line     *widget.Label
	bar      *widget.ProgressBar
	detail   *widget.Label
	recent   *widget.Label
	problems *fyne.Container
	box      *fyne.Container // the scrolled column, laid out again when texts change height
	pause    *widget.Button
	errLabel *widget.Label
	late     *widget.Label // folders that have fallen behind
	others   *widget.Label // the account's other computers
	othersAt *widget.Label // their heading, hidden when there are none
}

func newStatusScreen(k *App) *statusScreen {
	s := &statusScreen{app: k}
	s.line = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.line.Wrapping = fyne.TextWrapWord
	s.bar = widget.NewProgressBar()
	s.detail = widget.NewLabel("")
	s.detail.Wrapping = fyne.TextWrapWord
	s.recent = widget.NewLabel("")
	s.recent.Truncation = fyne.TextTruncateEllipsis // one path per line, never wrapped over the next
	s.problems = container.NewVBox()
	s.errLabel = widget.NewLabel("")
	s.errLabel.Wrapping = fyne.TextWrapWord
	s.errLabel.Importance = widget.DangerImportance
	s.late = widget.NewLabel("")
	s.late.Wrapping = fyne.TextWrapWord
	s.late.Importance = widget.WarningImportance
	s.late.Hide()
	s.others = widget.NewLabel("")
	s.others.Wrapping = fyne.TextWrapWord
	s.othersAt = widget.NewLabelWithStyle(tr("Other computers"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.pause = widget.NewButton(tr("Pause"), nil)
	s.pause.OnTapped = func() {
		if k.last.State == service.Paused {
			k.togglePause()
			return
		}
		until := fyne.NewMenuItem(tr("Until I resume"), k.togglePause)
		menu := fyne.NewMenu("", append([]*fyne.MenuItem{until}, k.pauseChoices()...)...)
		widget.ShowPopUpMenuAtRelativePosition(menu, k.win.Canvas(), fyne.NewPos(0, s.pause.Size().Height), s.pause)
	}
	now := widget.NewButton(tr("Back up now"), func() { go k.svc.BackUpNow() })
	now.Importance = widget.HighImportance
	restoreBtn := widget.NewButton(tr("Restore…"), k.openRestore)
	buttons := container.NewHBox(now, s.pause, restoreBtn)
	s.box = container.NewVBox(
		s.line, s.bar, s.detail, s.late, s.errLabel, buttons,
		widget.NewSeparator(),
		widget.NewLabelWithStyle(tr("Recently sent"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.recent,
		widget.NewLabelWithStyle(tr("Problems"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.problems,
		s.othersAt, s.others,
	)
	s.content = container.NewPadded(container.NewVScroll(s.box))
	return s
}

func (s *statusScreen) setError(msg string) { s.errLabel.SetText(msg) }

func (s *statusScreen) render(st service.Status) {
	s.line.SetText(st.Line)
	s.bar.SetValue(st.Fraction)
	if st.State == service.Busy {
		s.bar.Show()
	} else {
		s.bar.Hide()
	}
	detail := ""
	if st.Account != "" {
		if len(st.Folders) == 1 {
			detail = tr("Backing up 1 folder as %[2]q to %[3]s.", 1, st.Device, st.Account)
		} else {
			detail = tr("Backing up %d folders as %q to %s.", len(st.Folders), st.Device, st.Account)
		}
	}
	if st.Speed > 0 && st.State == service.Busy {
		detail += tr(" %s/s.", human.Bytes(int64(st.Speed)))
	}
	if st.Quota != "" {
		detail += tr(" Storage: %s.", st.Quota)
	}
	if !st.LastBackup.IsZero() {
		detail += tr(" Last backup %s.", st.LastBackup.Local().Format("15:04:05"))
	}
	if st.Holding != "" {
		detail += " " + st.Holding + "."
	}
	if st.Verified != "" {
		detail += " " + st.Verified + "."
	}
	s.detail.SetText(detail)
	s.renderLate(st)
	s.renderOthers(st)
	if st.State == service.Paused {
		s.pause.SetText(tr("Resume"))
	} else {
		s.pause.SetText(tr("Pause"))
	}
	if len(st.Recent) == 0 {
		s.recent.SetText(tr("Nothing sent since Kumo started."))
	} else {
		s.recent.SetText(joinLines(st.Recent))
	}
	s.problems.RemoveAll()
	if len(st.Problems) == 0 {
		s.problems.Add(widget.NewLabel(tr("None.")))
	}
	for i, p := range st.Problems {
		if i == 20 {
			s.problems.Add(widget.NewLabel(tr("…and %d more (see the log in Settings).", len(st.Problems)-i)))
			break
		}
		where := filepath.Base(p.Folder)
		if p.Path != "" {
			where += "/" + p.Path
		}
		msg := widget.NewLabel(where + ": " + p.Message)
		msg.Wrapping = fyne.TextWrapWord
		retry := widget.NewButton(tr("Retry"), func() { go s.app.svc.BackUpNow() })
		s.problems.Add(container.NewBorder(nil, nil, nil, retry, msg))
	}
	s.box.Refresh() // a label that grew lines must push what follows down
}

// renderLate shows, in the warning colour, which folders have fallen behind.
func (s *statusScreen) renderLate(st service.Status) {
	var lines []string
	for _, l := range st.Late {
		lines = append(lines, l.Message)
	}
	s.late.SetText(joinLines(lines))
	if len(lines) > 0 {
		s.late.Show()
	} else {
		s.late.Hide()
	}
}

// renderOthers lists the account's other computers and when each last had
// everything backed up, so a stopped laptop shows from the desktop.
func (s *statusScreen) renderOthers(st service.Status) {
	if len(st.Computers) == 0 {
		s.othersAt.Hide()
		s.others.Hide()
		return
	}
	var lines []string
	for _, c := range st.Computers {
		line := tr("%s: has not said when it last backed up", c.Name)
		if !c.LastBackup.IsZero() {
			line = tr("%s: last backed up %s", c.Name, human.Ago(c.LastBackup, time.Now()))
		}
		lines = append(lines, line)
	}
	s.others.SetText(joinLines(lines))
	s.othersAt.Show()
	s.others.Show()
}

func joinLines(lines []string) string {
	out := ""
	for i, l := range lines {
		if i > 0 {
			out += "\n"
		}
		out += l
	}
	return out
}
