package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/portal"
	"github.com/kumo-backup/kumo/internal/service"
)

// foldersScreen chooses what is backed up.
type foldersScreen struct {
	app     *App
	content fyne.CanvasObject
	list    *fyne.Container
	path    *widget.Entry
	encrypt *widget.Check
	message *widget.Label
	// confirm, asked and sheet are the dialogs last shown: what encrypting
	// costs, the passphrase, the recovery sheet.
	confirm dialog.Dialog
	asked   *passphraseDialog
	sheet   *recoverySheet
}

func newFoldersScreen(k *App) *foldersScreen {
	f := &foldersScreen{app: k}
	f.path = widget.NewEntry()
	f.path.SetPlaceHolder("/home/you/Documents")
	f.path.OnSubmitted = func(string) { f.add(f.path.Text) }
	choose := widget.NewButton(tr("Choose…"), f.choose)
	add := widget.NewButton(tr("Add folder"), func() { f.add(f.path.Text) })
	add.Importance = widget.HighImportance
	f.encrypt = widget.NewCheck(tr("Encrypt with a passphrase of my own (names, sizes and dates stay visible to the service)"), nil)
	f.message = widget.NewLabel("")
	f.message.Wrapping = fyne.TextWrapWord
	f.list = container.NewVBox()
	help := widget.NewLabel(tr("Kumo backs up each folder with everything inside it, and keeps watching it. " +
		"Exclude patterns work like .gitignore (one per line: *.iso, node_modules/, /Downloads/big/); editor and system temporary files are always left out."))
	help.Wrapping = fyne.TextWrapWord
	f.content = container.NewPadded(container.NewVScroll(container.NewVBox(
		help,
		container.NewBorder(nil, nil, nil, container.NewHBox(choose, add), f.path),
		f.encrypt, f.message, widget.NewSeparator(), f.list,
	)))
	f.reload()
	return f
}

// choose asks the desktop's own folder chooser (the XDG portal: its input
// method, bookmarks and sandbox), and draws Fyne's where there is none.
func (f *foldersScreen) choose() {
	title := tr("Choose a folder to back up")
	background(func() (string, error) { return portal.ChooseFolder(f.app.svc.Context(), title) }, func(path string, err error) {
		switch {
		case err == nil:
			f.path.SetText(path)
			f.add(path)
		case errors.Is(err, portal.ErrCancelled), errors.Is(err, context.Canceled):
		default:
			f.chooseWithFyne()
		}
	})
}

func (f *foldersScreen) chooseWithFyne() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			f.path.SetText(u.Path())
			f.add(u.Path())
		}
	}, f.app.win)
	d.Show()
}

// reload lists the chosen folders from the settings (read from memory).
func (f *foldersScreen) reload() {
	f.list.RemoveAll()
	folders := f.app.svc.Config().Folders
	if len(folders) == 0 {
		f.list.Add(widget.NewLabel(tr("No folder is backed up yet: add one above.")))
	}
	for _, folder := range folders {
		f.list.Add(f.row(folder))
	}
}

func (f *foldersScreen) row(folder service.Folder) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(folder.Path, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	estimate := widget.NewLabel(tr("Counting…"))
	excludes := widget.NewMultiLineEntry()
	excludes.SetPlaceHolder(tr("exclude patterns, one per line"))
	excludes.SetText(strings.Join(folder.Excludes, "\n"))
	excludes.SetMinRowsVisible(2)
	save := widget.NewButton(tr("Save patterns"), func() {
		patterns := splitPatterns(excludes.Text)
		background(func() (string, error) {
			if err := f.app.svc.SetExcludes(folder.Path, patterns); err != nil {
				return "", err
			}
			return f.countLine(folder.Path, patterns)
		}, func(s string, err error) {
			if err != nil {
				f.message.SetText(service.Sentence(err))
				return
			}
			estimate.SetText(s)
			f.message.SetText(tr("Patterns saved for %s.", folder.Path))
		})
	})
	remove := widget.NewButton(tr("Stop backing up"), func() {
		dialog.ShowConfirm(tr("Stop backing up this folder?"),
			tr("%s\n\nWhat is already on the server stays there and can still be restored.", folder.Path), func(ok bool) {
				if !ok {
					return
				}
				background(func() (struct{}, error) { return struct{}{}, f.app.svc.RemoveFolder(folder.Path) }, func(_ struct{}, err error) {
					if err != nil {
						f.message.SetText(service.Sentence(err))
					}
					f.reload()
				})
			}, f.app.win)
	})
	metered := widget.NewCheck(tr("Back up on metered connections too"), nil)
	metered.SetChecked(folder.OnMetered)
	metered.OnChanged = func(on bool) {
		background(func() (struct{}, error) { return struct{}{}, f.app.svc.SetOnMetered(folder.Path, on) }, func(_ struct{}, err error) {
			if err != nil {
				f.message.SetText(service.Sentence(err))
				return
			}
			if on {
				f.message.SetText(tr("%s is backed up on metered connections too.", folder.Path))
			} else {
				f.message.SetText(tr("%s waits for an unmetered connection, as Settings say.", folder.Path))
			}
		})
	}
	background(func() (string, error) { return f.countLine(folder.Path, folder.Excludes) }, func(s string, err error) {
		if err != nil {
			s = err.Error()
		}
		estimate.SetText(s)
	})
	var about fyne.CanvasObject = estimate
	encryption := widget.NewButton(tr("Encrypt…"), func() { f.encryptExisting(folder) })
	if folder.Encrypted {
		about = container.NewHBox(estimate, widget.NewLabel(tr("· encrypted")))
		encryption = widget.NewButton(tr("Passphrase…"), func() { f.unlock(folder.Path) })
	}
	actions := container.NewHBox(encryption, remove)
	return container.NewVBox(container.NewBorder(nil, nil, nil, actions, name), about,
		container.NewBorder(nil, nil, nil, save, excludes), metered, widget.NewSeparator())
}

func (f *foldersScreen) countLine(path string, excludes []string) (string, error) {
	files, bytes, err := f.count(path, excludes)
	if err != nil {
		return "", err
	}
	return tr("%s files, %s", human.Count(files), human.Bytes(bytes)), nil
}

// count is what a folder would send on its first backup (it reads the
// disk: call it in the background).
func (f *foldersScreen) count(path string, excludes []string) (files, bytes int64, err error) {
	ctx, cancel := context.WithTimeout(f.app.svc.Context(), 2*time.Minute)
	defer cancel()
	return service.Estimate(ctx, path, excludes)
}

func splitPatterns(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// add estimates a folder, then adds it (both in the background); an
// encrypted one asks for its passphrase first.
func (f *foldersScreen) add(path string) {
	path = strings.TrimSpace(path)
	if path == "" {
		f.message.SetText(tr("Type a folder's path or choose one."))
		return
	}
	if f.encrypt.Checked {
		f.addEncrypted(path)
		return
	}
	f.message.SetText(tr("Counting the files in %s…", path))
	background(func() (string, error) {
		line, err := f.countLine(path, nil)
		if err != nil {
			return "", err
		}
		return line, f.app.svc.AddFolder(path, nil)
	}, func(line string, err error) {
		if err != nil {
			f.message.SetText(service.Sentence(err))
			return
		}
		f.added(path, line)
	})
}

func (f *foldersScreen) added(path, line string) {
	f.message.SetText(tr("Added %s (%s): its first backup has started.", path, line))
	f.path.SetText("")
	f.encrypt.SetChecked(false)
	f.reload()
}

// encryptExisting turns encryption on for a folder backed up without it,
// once the person has read what it costs: every file uploaded again, and
// the unencrypted backup kept until they delete it.
func (f *foldersScreen) encryptExisting(folder service.Folder) {
	f.message.SetText(tr("Counting the files in %s…", folder.Path))
	type size struct{ files, bytes int64 }
	background(func() (size, error) {
		files, bytes, err := f.count(folder.Path, folder.Excludes)
		return size{files, bytes}, err
	}, func(sz size, err error) {
		if err != nil {
			f.message.SetText(service.Sentence(err))
			return
		}
		f.message.SetText("")
		cost := tr("Encrypting %s uploads its %s files (%s) again. Its unencrypted backup stays on the server as a folder of its own, "+
			"restorable, and takes %s of your storage until you delete it (Restore shows it; the service's web page deletes it).",
			filepath.Base(folder.Path), human.Count(sz.files), human.Bytes(sz.bytes), human.Bytes(sz.bytes))
		f.confirm = dialog.NewConfirm(tr("Encrypt %s?", filepath.Base(folder.Path)), cost, func(ok bool) {
			if ok {
				f.askNewPassphrase(folder.Path, func(ctx context.Context, passphrase string) (string, string, error) {
					sheet, aside, err := f.app.svc.EncryptFolder(ctx, folder.Path, passphrase)
					if err != nil {
						return "", sheet, err
					}
					return tr("Encryption is on for %s: its files are being uploaded again. The unencrypted backup is kept as %s.", folder.Path, aside), sheet, nil
				})
			}
		}, f.app.win)
		f.confirm.Show()
	})
}

// unlock gives an encrypted folder's passphrase again, when the keyring
// no longer has it (the folder then says a passphrase is needed).
func (f *foldersScreen) unlock(path string) {
	explain := tr("Type the passphrase of %s, chosen when it was added (it is on the recovery sheet). Kumo keeps it in the system keyring.", filepath.Base(path))
	f.asked = newPassphraseDialog(f.app.win, tr("Passphrase for %s", filepath.Base(path)), explain, false, func(passphrase string, done func(error)) {
		background(func() (struct{}, error) {
			ctx, cancel := context.WithTimeout(f.app.svc.Context(), 2*time.Minute)
			defer cancel()
			return struct{}{}, f.app.svc.UnlockFolder(ctx, path, passphrase)
		}, func(_ struct{}, err error) {
			done(err)
			if err == nil {
				f.message.SetText(tr("The passphrase of %s is kept: its backup goes on.", path))
			}
		})
	})
}

// addEncrypted asks for a new passphrase twice, adds the folder with it,
// and shows the recovery sheet once.
func (f *foldersScreen) addEncrypted(path string) {
	f.askNewPassphrase(path, func(ctx context.Context, passphrase string) (string, string, error) {
		line, err := f.countLine(path, nil)
		if err != nil {
			return "", "", err
		}
		sheet, err := f.app.svc.AddEncryptedFolder(ctx, path, nil, passphrase)
		if err != nil {
			return "", sheet, err
		}
		return tr("Added %s (%s): its first backup has started.", path, line), sheet, nil
	})
}

// askNewPassphrase asks for a folder's new passphrase twice and gives it to
// use, in the background: what it says goes under the list, and its
// recovery sheet is shown once.
func (f *foldersScreen) askNewPassphrase(path string, use func(ctx context.Context, passphrase string) (said, sheet string, err error)) {
	explain := tr("Kumo encrypts this folder's files before they leave this computer, in rclone's open format, so rclone alone can also read them. " +
		"Choose a passphrase you will remember: without it nobody, not Kumo nor InfiniCLOUD, can bring the files back. " +
		"If this folder was encrypted before (on this computer before a reinstall), type its passphrase.")
	f.asked = newPassphraseDialog(f.app.win, tr("Encrypt %s", filepath.Base(path)), explain, true, func(passphrase string, done func(error)) {
		type result struct{ said, sheet string }
		background(func() (result, error) {
			ctx, cancel := context.WithTimeout(f.app.svc.Context(), 2*time.Minute)
			defer cancel()
			said, sheet, err := use(ctx, passphrase)
			return result{said, sheet}, err
		}, func(r result, err error) {
			if err != nil && r.sheet == "" {
				done(err) // nothing was set up: the dialog stays, with the sentence
				return
			}
			done(nil)
			if r.sheet != "" {
				f.sheet = showRecoverySheet(f.app.win, r.sheet)
			}
			if err != nil { // set up, but the keyring did not keep the passphrase
				r.said = service.Sentence(err)
			}
			f.message.SetText(r.said)
			if strings.TrimSpace(f.path.Text) == path {
				f.path.SetText("")
			}
			f.encrypt.SetChecked(false)
			f.reload()
		})
	})
}
