package ui

import (
	"path/filepath"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/service"
)

// selectStep browses the folder as it was and ticks what to restore, in a
// tree or from a search by name; nothing ticked restores everything.
type selectStep struct {
	w       *restoreWizard
	view    *service.SnapshotView
	tree    *widget.Tree
	search  *widget.Entry
	found   *widget.List
	matches []service.RestoreFile
	picked  map[string]bool
	selInfo *widget.Label
}

func newSelectStep(w *restoreWizard) *selectStep {
	s := &selectStep{w: w, picked: map[string]bool{}}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder(tr("Search by name"))
	s.search.OnChanged = func(q string) { s.filter(q) }
	s.found = widget.NewList(func() int { return len(s.matches) },
		func() fyne.CanvasObject { return widget.NewCheck("", nil) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			f := s.matches[i]
			c := o.(*widget.Check)
			c.OnChanged = nil
			c.SetText(f.Path + "  (" + human.Bytes(f.Size) + ")")
			c.SetChecked(s.picked[f.Path])
			c.OnChanged = func(on bool) { s.pick(f.Path, on) }
		})
	s.selInfo = widget.NewLabel("")
	return s
}

func (s *selectStep) frame() (string, string, bool) {
	return tr("3. What to restore? Tick files or folders; nothing ticked restores everything."), tr("Next"), true
}

func (s *selectStep) content() fyne.CanvasObject {
	s.updateSelInfo()
	return container.NewBorder(container.NewVBox(s.search, s.selInfo), nil, nil, nil, container.NewVSplit(s.tree, s.found))
}

func (s *selectStep) forward() {
	s.w.show(stepDest)
	s.w.dest.prepare()
}

// load reads what the folder held at the moment, then shows it.
func (s *selectStep) load(device, folder string, snap service.Snapshot) {
	svc, ctx := s.w.app.svc, s.w.ctx
	s.w.say(tr("Reading what the folder held then…"))
	background(func() (*service.SnapshotView, error) { return svc.OpenSnapshot(ctx, device, folder, snap.Time) },
		func(v *service.SnapshotView, err error) {
			if err != nil {
				s.w.say(service.Sentence(err))
				return
			}
			s.view, s.picked = v, map[string]bool{}
			s.tree = s.newTree()
			s.search.SetText("")
			s.filter("")
			s.w.show(stepSelect)
		})
}

// newTree browses the snapshot: folders open, files and folders tick.
func (s *selectStep) newTree() *widget.Tree {
	v := s.view
	t := widget.NewTree(
		func(id widget.TreeNodeID) []widget.TreeNodeID {
			var ids []string
			for _, n := range v.Children(id) {
				ids = append(ids, n.Path)
			}
			return ids
		},
		func(id widget.TreeNodeID) bool { return id == "" || len(v.Children(id)) > 0 && !s.isFile(id) },
		func(bool) fyne.CanvasObject { return widget.NewCheck("", nil) },
		func(id widget.TreeNodeID, branch bool, o fyne.CanvasObject) {
			c := o.(*widget.Check)
			c.OnChanged = nil
			n, files := s.sizeOf(id)
			label := filepath.Base(id)
			if branch {
				label += tr("/  (%d files, %s)", files, human.Bytes(n))
			} else {
				label += "  (" + human.Bytes(n) + ")"
			}
			c.SetText(label)
			c.SetChecked(s.picked[id])
			c.OnChanged = func(on bool) { s.pick(id, on) }
		})
	t.Root = ""
	return t
}

func (s *selectStep) isFile(id string) bool {
	parent := ""
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		parent = id[:i]
	}
	for _, n := range s.view.Children(parent) {
		if n.Path == id {
			return !n.IsDir
		}
	}
	return false
}

func (s *selectStep) sizeOf(id string) (int64, int) {
	n, size := service.RestoreTotal(s.view.Select([]string{id}))
	return size, n
}

func (s *selectStep) pick(path string, on bool) {
	if on {
		s.picked[path] = true
	} else {
		delete(s.picked, path)
	}
	s.updateSelInfo()
}

// selection is what is ticked, sorted; empty means everything.
func (s *selectStep) selection() []string {
	var out []string
	for p := range s.picked {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (s *selectStep) updateSelInfo() {
	if s.view == nil {
		return
	}
	n, size := service.RestoreTotal(s.view.Select(s.selection()))
	what := tr("Everything")
	if len(s.picked) > 0 {
		what = tr("Selected")
	}
	s.selInfo.SetText(tr("%s: %s files, %s, as of %s", what, human.Count(int64(n)), human.Bytes(size),
		s.view.Snapshot.Time.Local().Format(tr("2 Jan 2006 15:04"))))
}

func (s *selectStep) filter(q string) {
	if strings.TrimSpace(q) == "" || s.view == nil {
		s.matches = nil
	} else {
		s.matches = s.view.Search(q, 500)
	}
	s.found.Refresh()
}
