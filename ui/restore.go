package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup/restore"
	"github.com/kumo-backup/kumo/internal/human"
)

// openRestore opens the restore wizard in its own window.
func (k *App) openRestore() {
	if k.svc.Client() == nil {
		dialog.ShowInformation("Restore", "Sign in first: the backups are read from your account.", k.win)
		k.Show()
		return
	}
	k.wizard = newRestoreWizard(k)
	k.wizard.win.Show()
}

// restoreWizard walks from a backup to files on disk: device and folder,
// moment, selection, destination and policy, progress, summary.
type restoreWizard struct {
	app    *App
	win    fyne.Window
	body   *fyne.Container
	title  *widget.Label
	status *widget.Label
	back   *widget.Button
	next   *widget.Button
	step   int

	device, folder *widget.Select
	moments        *widget.List
	snaps          []restore.Snapshot
	snap           int
	view           *restore.View
	tree           *widget.Tree
	search         *widget.Entry
	found          *widget.List
	matches        []restore.File
	picked         map[string]bool
	selInfo        *widget.Label
	dest           *widget.RadioGroup
	destPath       *widget.Entry
	policy         *widget.RadioGroup
	bar            *widget.ProgressBar
	current        *widget.Label
	cancel         context.CancelFunc
	summary        *restore.Summary
}

const (
	stepSource = iota
	stepMoment
	stepSelect
	stepDest
	stepRun
	stepDone
)

const (
	destOriginal = "Where it was backed up from"
	destOther    = "Another folder"
)

var policyNames = map[string]restore.Conflict{
	"Keep the file that is there (skip)":       restore.Skip,
	"Keep both (the restored one gets a date)": restore.KeepBoth,
	"Replace it with the restored one":         restore.Overwrite,
}

func newRestoreWizard(k *App) *restoreWizard {
	r := &restoreWizard{app: k, picked: map[string]bool{}}
	r.win = k.fyne.NewWindow("Restore – Kumo")
	r.win.Resize(fyne.NewSize(720, 560))
	r.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.status = widget.NewLabel("")
	r.status.Wrapping = fyne.TextWrapWord
	r.body = container.NewStack()
	r.back = widget.NewButton("Back", func() { r.show(r.step - 1) })
	r.next = widget.NewButton("Next", r.forward)
	r.next.Importance = widget.HighImportance
	r.win.SetContent(container.NewPadded(container.NewBorder(r.title,
		container.NewVBox(r.status, container.NewHBox(r.back, r.next)), nil, nil, r.body)))
	r.win.SetCloseIntercept(func() {
		if r.cancel != nil {
			r.cancel()
		}
		r.win.Close()
	})

	r.device = widget.NewSelect(nil, func(string) { r.loadFolders() })
	r.folder = widget.NewSelect(nil, nil)
	r.moments = widget.NewList(func() int { return len(r.snaps) },
		func() fyne.CanvasObject { return widget.NewLabel("2026-01-01 00:00:00 (latest)") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			label := r.snaps[len(r.snaps)-1-i].Time.Local().Format("Mon 2 Jan 2006 15:04:05")
			if i == 0 {
				label += " (latest)"
			}
			o.(*widget.Label).SetText(label)
		})
	r.moments.OnSelected = func(i widget.ListItemID) { r.snap = len(r.snaps) - 1 - i }
	r.search = widget.NewEntry()
	r.search.SetPlaceHolder("Search by name")
	r.search.OnChanged = func(q string) { r.filter(q) }
	r.found = widget.NewList(func() int { return len(r.matches) },
		func() fyne.CanvasObject { return widget.NewCheck("", nil) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			f := r.matches[i]
			c := o.(*widget.Check)
			c.OnChanged = nil
			c.SetText(f.Path + "  (" + human.Bytes(f.Size) + ")")
			c.SetChecked(r.picked[f.Path])
			c.OnChanged = func(on bool) { r.pick(f.Path, on) }
		})
	r.selInfo = widget.NewLabel("")
	r.destPath = widget.NewEntry()
	r.dest = widget.NewRadioGroup([]string{destOriginal, destOther}, func(c string) {
		if c == destOther {
			r.destPath.Enable()
		} else {
			r.destPath.Disable()
		}
	})
	names := make([]string, 0, len(policyNames))
	for n := range policyNames {
		names = append(names, n)
	}
	sort.Strings(names)
	r.policy = widget.NewRadioGroup(names, nil)
	r.policy.SetSelected("Keep the file that is there (skip)")
	r.bar = widget.NewProgressBar()
	r.current = widget.NewLabel("")
	r.show(stepSource)
	r.loadDevices()
	return r
}

// show displays a step.
func (r *restoreWizard) show(step int) {
	r.step = step
	r.status.SetText("")
	r.back.Enable()
	r.next.Enable()
	r.next.SetText("Next")
	var content fyne.CanvasObject
	switch step {
	case stepSource:
		r.title.SetText("1. Which backup?")
		r.back.Disable()
		content = widget.NewForm(widget.NewFormItem("Computer", r.device), widget.NewFormItem("Folder", r.folder))
	case stepMoment:
		r.title.SetText("2. As of when? These are the moments that have a backup.")
		content = r.moments
	case stepSelect:
		r.title.SetText("3. What to restore? Tick files or folders; nothing ticked restores everything.")
		content = container.NewBorder(container.NewVBox(r.search, r.selInfo), nil, nil, nil,
			container.NewVSplit(r.tree, r.found))
		r.updateSelInfo()
	case stepDest:
		r.title.SetText("4. Where to, and what if a file is already there?")
		r.next.SetText("Restore")
		content = container.NewVBox(r.dest, r.destPath, widget.NewLabel("If a different file is already there:"), r.policy)
	case stepRun:
		r.title.SetText("Restoring…")
		r.back.Disable()
		r.next.SetText("Cancel")
		content = container.NewVBox(r.bar, r.current)
	case stepDone:
		r.title.SetText("Done")
		r.back.Disable()
		r.next.SetText("Close")
		content = r.summaryView()
	}
	r.body.Objects = []fyne.CanvasObject{content}
	r.body.Refresh()
}

func (r *restoreWizard) forward() {
	switch r.step {
	case stepSource:
		if r.device.Selected == "" || r.folder.Selected == "" {
			r.status.SetText("Choose a computer and one of its folders.")
			return
		}
		r.loadMoments()
	case stepMoment:
		r.openView()
	case stepSelect:
		r.show(stepDest)
		r.prepareDest()
	case stepDest:
		r.run()
	case stepRun:
		if r.cancel != nil {
			r.cancel()
			r.status.SetText("Cancelling: the file being written is removed…")
		}
	case stepDone:
		r.win.Close()
	}
}

func (r *restoreWizard) loadDevices() {
	client := r.app.svc.Client()
	r.status.SetText("Reading the computers on this account…")
	this := r.app.svc.Device()
	background(func() ([]string, error) { return account.ListDevices(client) }, func(devices []string, err error) {
		if err != nil {
			r.status.SetText("Cannot list the backups: " + client.Redact(err.Error()))
			return
		}
		r.status.SetText("")
		r.device.Options = devices
		if len(devices) > 0 {
			sel := devices[0]
			for _, d := range devices {
				if d == this {
					sel = d
				}
			}
			r.device.SetSelected(sel)
		}
	})
}

func (r *restoreWizard) loadFolders() {
	client, device := r.app.svc.Client(), r.device.Selected
	background(func() ([]string, error) { return restore.Folders(context.Background(), client, device) },
		func(folders []string, err error) {
			if err != nil {
				r.status.SetText(err.Error())
				return
			}
			r.folder.Options = folders
			r.folder.ClearSelected()
			if len(folders) > 0 {
				r.folder.SetSelected(folders[0])
			} else {
				r.status.SetText(device + " has no backed-up folder yet.")
			}
		})
}

func (r *restoreWizard) loadMoments() {
	client, device, folder := r.app.svc.Client(), r.device.Selected, r.folder.Selected
	r.status.SetText("Reading the list of backups…")
	background(func() ([]restore.Snapshot, error) {
		return restore.Snapshots(context.Background(), client, device, folder)
	},
		func(snaps []restore.Snapshot, err error) {
			if err != nil || len(snaps) == 0 {
				r.status.SetText(fmt.Sprintf("No backup of %s was found: %v", folder, err))
				return
			}
			r.snaps, r.snap = snaps, len(snaps)-1
			r.show(stepMoment)
			r.moments.Refresh()
			r.moments.Select(0)
		})
}

func (r *restoreWizard) openView() {
	client, device, folder, at := r.app.svc.Client(), r.device.Selected, r.folder.Selected, r.snaps[r.snap].Time
	r.status.SetText("Reading what the folder held then…")
	background(func() (*restore.View, error) { return restore.Open(context.Background(), client, device, folder, at) },
		func(v *restore.View, err error) {
			if err != nil {
				r.status.SetText(err.Error())
				return
			}
			r.view, r.picked = v, map[string]bool{}
			r.tree = r.newTree()
			r.search.SetText("")
			r.filter("")
			r.show(stepSelect)
		})
}

// newTree browses the snapshot: folders open, files and folders tick.
func (r *restoreWizard) newTree() *widget.Tree {
	v := r.view
	t := widget.NewTree(
		func(id widget.TreeNodeID) []widget.TreeNodeID {
			var ids []string
			for _, n := range v.Children(id) {
				ids = append(ids, n.Path)
			}
			return ids
		},
		func(id widget.TreeNodeID) bool { return id == "" || len(v.Children(id)) > 0 && !r.isFile(id) },
		func(bool) fyne.CanvasObject { return widget.NewCheck("", nil) },
		func(id widget.TreeNodeID, branch bool, o fyne.CanvasObject) {
			c := o.(*widget.Check)
			c.OnChanged = nil
			n, files := r.sizeOf(id)
			label := filepath.Base(id)
			if branch {
				label += fmt.Sprintf("/  (%d files, %s)", files, human.Bytes(n))
			} else {
				label += "  (" + human.Bytes(n) + ")"
			}
			c.SetText(label)
			c.SetChecked(r.picked[id])
			c.OnChanged = func(on bool) { r.pick(id, on) }
		})
	t.Root = ""
	return t
}

func (r *restoreWizard) isFile(id string) bool {
	parent := ""
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		parent = id[:i]
	}
	for _, n := range r.view.Children(parent) {
		if n.Path == id {
			return !n.IsDir
		}
	}
	return false
}

func (r *restoreWizard) sizeOf(id string) (int64, int) {
	n, size := restore.Total(r.view.Select([]string{id}))
	return size, n
}

func (r *restoreWizard) pick(path string, on bool) {
	if on {
		r.picked[path] = true
	} else {
		delete(r.picked, path)
	}
	r.updateSelInfo()
}

func (r *restoreWizard) selection() []string {
	var out []string
	for p := range r.picked {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (r *restoreWizard) updateSelInfo() {
	if r.view == nil {
		return
	}
	n, size := restore.Total(r.view.Select(r.selection()))
	what := "Everything"
	if len(r.picked) > 0 {
		what = "Selected"
	}
	r.selInfo.SetText(fmt.Sprintf("%s: %s files, %s, as of %s", what, human.Count(int64(n)), human.Bytes(size),
		r.view.Snapshot.Time.Local().Format("2 Jan 2006 15:04")))
}

func (r *restoreWizard) filter(q string) {
	if strings.TrimSpace(q) == "" || r.view == nil {
		r.matches = nil
	} else {
		r.matches = r.view.Search(q, 500)
	}
	r.found.Refresh()
}

// prepareDest offers the original folder when this computer backs it up.
func (r *restoreWizard) prepareDest() {
	original := r.originalPath()
	if original == "" {
		r.dest.Options = []string{destOther}
		r.dest.SetSelected(destOther)
	} else {
		r.dest.Options = []string{destOriginal + " (" + original + ")", destOther}
		r.dest.SetSelected(r.dest.Options[0])
	}
	r.dest.Refresh()
	if r.destPath.Text == "" {
		r.destPath.SetText(filepath.Join(homeDir(), "Restored", r.folder.Selected))
	}
}

func (r *restoreWizard) originalPath() string {
	if r.device.Selected != r.app.svc.Device() {
		return ""
	}
	for _, f := range r.app.svc.Config().Folders {
		if filepath.Base(f.Path) == r.folder.Selected {
			return f.Path
		}
	}
	return ""
}

func (r *restoreWizard) run() {
	to := strings.TrimSpace(r.destPath.Text)
	if strings.HasPrefix(r.dest.Selected, destOriginal) {
		to = r.originalPath()
	}
	if to == "" {
		r.status.SetText("Type the folder to restore into.")
		return
	}
	opts := restore.Options{To: to, Paths: r.selection(), Conflict: policyNames[r.policy.Selected],
		OnProgress: func(p restore.Progress) {
			onUI(func() {
				if p.Bytes > 0 {
					r.bar.SetValue(float64(p.BytesDone) / float64(p.Bytes))
				}
				r.current.SetText(fmt.Sprintf("%d of %d files · %s", p.FilesDone, p.Files, p.Current))
			})
		}}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.show(stepRun)
	view := r.view
	background(func() (*restore.Summary, error) { return view.Restore(ctx, opts) }, func(sum *restore.Summary, err error) {
		cancel()
		r.cancel = nil
		r.summary = sum
		r.show(stepDone)
		if err != nil {
			r.status.SetText(r.app.svc.Client().Redact(err.Error()))
		}
	})
}

func (r *restoreWizard) summaryView() fyne.CanvasObject {
	s := r.summary
	if s == nil {
		return widget.NewLabel("Nothing was restored.")
	}
	head := widget.NewLabelWithStyle(fmt.Sprintf("Restored %d files (%s) into %s. %d were already there. %d skipped, %d failed.",
		s.Restored, human.Bytes(s.Bytes), s.To, s.Unchanged, len(s.Skipped), len(s.Failed)+len(s.Refused)),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Wrapping = fyne.TextWrapWord
	var lines []string
	for _, n := range s.Renamed {
		lines = append(lines, "Kept both: "+n.Path+": "+n.Reason)
	}
	for _, n := range s.Skipped {
		lines = append(lines, "Skipped: "+n.Path+": "+n.Reason)
	}
	for _, n := range append(s.Failed, s.Refused...) {
		lines = append(lines, "Failed: "+n.Path+": "+n.Reason)
	}
	details := widget.NewLabel(strings.Join(lines, "\n"))
	details.Wrapping = fyne.TextWrapWord
	return container.NewBorder(head, nil, nil, nil, container.NewVScroll(details))
}
