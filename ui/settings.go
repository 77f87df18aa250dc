package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/paths"
	"github.com/kumo-backup/kumo/internal/service"
)

// settingsScreen tunes the engine and manages the account.
type settingsScreen struct {
	app     *App
	content fyne.CanvasObject
	workers *widget.Select
	limit   *widget.Entry
	quiet   *widget.Entry
	daily   *widget.Entry
	login   *widget.Check
	// The network and power: what holds uploads.
	metered    *widget.Check
	meteredMB  *widget.Entry
	onBattery  *widget.Check
	lowBattery *widget.Select
	verify     *widget.Select // how often every server copy is read back
	language   *widget.Select
	apiKey     *widget.Entry
	device     *widget.Entry
	message    *widget.Label
	account    *widget.Label
}

// batteryPercents are the thresholds below which uploads wait on battery
// (negative: never).
var batteryPercents = []int{-1, 10, 20, 30, 50}

const neverOnBattery = "Never wait"

func batteryChoice(percent int) string {
	if percent < 0 {
		return tr(neverOnBattery)
	}
	return fmt.Sprintf("%d%%", percent)
}

// verifyDays are how often every file's server copy is read back
// (negative: never).
var verifyDays = []int{30, 90, -1}

const neverVerify = "Never"

func verifyChoice(days int) string {
	if days < 0 {
		return tr(neverVerify)
	}
	return tr("Every %d days", days)
}

// choices are the words for each value; chosen is the value of a word.
func choices(values []int, word func(int) string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = word(v)
	}
	return out
}

func chosen(values []int, word func(int) string, selected string, otherwise int) int {
	for _, v := range values {
		if word(v) == selected {
			return v
		}
	}
	return otherwise
}

// automatic lets the transport's pacer choose: 4 at first, up to 16 while
// more at once speeds a far server up.
const automatic = "Automatic"

func newSettingsScreen(k *App) *settingsScreen {
	s := &settingsScreen{app: k}
	s.workers = widget.NewSelect([]string{tr(automatic), "1", "2", "4", "8", "16"}, nil)
	s.limit = widget.NewEntry()
	s.limit.SetPlaceHolder(tr("0 = no limit"))
	s.quiet = widget.NewEntry()
	s.daily = widget.NewEntry()
	s.login = widget.NewCheck(tr("Start Kumo in the tray when I log in"), nil)
	s.metered = widget.NewCheck(tr("Back up on metered connections too (phone hotspots, mobile data)"), nil)
	s.meteredMB = widget.NewEntry()
	s.meteredMB.SetPlaceHolder(tr("0 = none"))
	s.onBattery = widget.NewCheck(tr("Wait whenever the computer is on battery"), nil)
	s.lowBattery = widget.NewSelect(choices(batteryPercents, batteryChoice), nil)
	s.verify = widget.NewSelect(choices(verifyDays, verifyChoice), nil)
	var names []string
	for _, code := range languages {
		names = append(names, languageName(code))
	}
	s.language = widget.NewSelect(names, nil)
	s.apiKey = widget.NewPasswordEntry()
	s.apiKey.SetPlaceHolder(tr("optional: a key InfiniCLOUD issued to you as a developer"))
	s.device = widget.NewEntry()
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.account = widget.NewLabel("")
	s.account.Wrapping = fyne.TextWrapWord

	save := widget.NewButton(tr("Save settings"), s.save)
	save.Importance = widget.HighImportance
	rename := widget.NewButton(tr("Rename"), s.rename)
	signOut := widget.NewButton(tr("Sign out"), func() {
		dialog.ShowConfirm(tr("Sign out?"), tr("Kumo stops backing up and removes the password from this computer's keyring. "+
			"Your backups stay on the server."), func(ok bool) {
			if !ok {
				return
			}
			background(func() (struct{}, error) { return struct{}{}, k.svc.SignOut() }, func(_ struct{}, err error) {
				if err != nil {
					s.message.SetText(service.Sentence(err))
					return
				}
				k.signedOut()
			})
		}, k.win)
	})
	signOut.Importance = widget.DangerImportance
	quit := widget.NewButton(tr("Quit Kumo"), func() {
		dialog.ShowConfirm(tr("Quit Kumo?"), tr("Backing up stops until Kumo is opened again (or the next login, if it starts at login)."),
			func(ok bool) {
				if ok {
					k.fyne.Quit()
				}
			}, k.win)
	})
	logs := widget.NewButton(tr("Open the log folder"), func() {
		u, _ := url.Parse("file://" + filepath.ToSlash(filepath.Dir(paths.Log())))
		if err := k.fyne.OpenURL(u); err != nil {
			s.message.SetText(tr("The log is in %s", paths.Log()))
		}
	})
	doctor := widget.NewButton(tr("Check the server (for a bug report)"), s.doctor)
	form := widget.NewForm(
		widget.NewFormItem(tr("Parallel uploads"), s.workers),
		widget.NewFormItem(tr("Upload limit (KiB/s)"), s.limit),
		widget.NewFormItem(tr("Wait after a change (s)"), s.quiet),
		widget.NewFormItem(tr("Keep daily versions (days)"), s.daily),
		widget.NewFormItem("", s.login),
		widget.NewFormItem("", s.metered),
		widget.NewFormItem(tr("On metered, still send files up to (MB)"), s.meteredMB),
		widget.NewFormItem("", s.onBattery),
		widget.NewFormItem(tr("On battery, wait below"), s.lowBattery),
		widget.NewFormItem(tr("Read every file back to check it"), s.verify),
		widget.NewFormItem(tr("Language (applies when Kumo starts again)"), s.language),
		widget.NewFormItem(tr("API key"), s.apiKey),
	)
	retention := widget.NewLabel(tr("Every version is kept for 14 days, then one a day for the days above, then one a week for good. " +
		"Checking reads a few files back from the server now and then, only on an unmetered connection and mains power, " +
		"so that each is read once in the time chosen: a month's reading is about the size of the backup."))
	retention.Wrapping = fyne.TextWrapWord
	keyHint := widget.NewLabel(tr("InfiniCLOUD issues API keys to applications through its developer registration form; " +
		"they are not shown on My Page. Kumo has its own when it was built with one; a key of your own here replaces it. " +
		"With a key, Kumo shows exact storage figures."))
	keyHint.Wrapping = fyne.TextWrapWord
	s.content = container.NewPadded(container.NewVScroll(container.NewVBox(
		form, retention, keyHint, save, s.message, widget.NewSeparator(),
		s.account,
		container.NewBorder(nil, nil, widget.NewLabel(tr("This computer")), rename, s.device),
		container.NewHBox(signOut, logs, quit),
		doctor,
		widget.NewSeparator(),
		widget.NewLabel(tr("About: %s %s (commit %s, built %s)", k.info.Name, k.info.Version, k.info.Commit, k.info.Date)),
	)))
	s.reload()
	return s
}

// reload shows the saved settings (from memory).
func (s *settingsScreen) reload() {
	cfg := s.app.svc.Config()
	set := cfg.Settings.WithDefaults()
	if set.Workers > 0 {
		s.workers.SetSelected(strconv.Itoa(set.Workers))
	} else {
		s.workers.SetSelected(tr(automatic))
	}
	s.limit.SetText(strconv.Itoa(set.UploadLimitKiB))
	s.quiet.SetText(strconv.Itoa(set.QuietSeconds))
	s.daily.SetText(strconv.Itoa(set.KeepDailyDays))
	s.login.SetChecked(set.StartAtLogin)
	s.metered.SetChecked(set.MeteredUploads)
	s.meteredMB.SetText(strconv.Itoa(set.MeteredAllowMB))
	s.onBattery.SetChecked(set.HoldOnBattery)
	s.lowBattery.SetSelected(batteryChoice(set.LowBatteryPercent))
	if c := verifyChoice(set.VerifyDays); !slices.Contains(s.verify.Options, c) {
		s.verify.SetOptions(append(choices(verifyDays, verifyChoice), c)) // a number from the settings file
	}
	s.verify.SetSelected(verifyChoice(set.VerifyDays))
	s.language.SetSelected(languageName(set.Language))
	switch {
	case cfg.Demo:
		s.account.SetText(tr("Backing up to the demo server on this computer (%s). Sign out to choose a real account.", s.app.svc.DemoDir()))
		s.device.SetText(s.app.svc.Device())
	case cfg.Account != nil:
		s.account.SetText(tr("Signed in as %s on %s.", cfg.Account.User, cfg.Account.Host()))
		s.device.SetText(cfg.Account.Device)
	default:
		s.account.SetText(tr("Not signed in."))
	}
}

func positive(e *widget.Entry, name string, min int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(e.Text))
	if err != nil || n < min {
		return 0, errors.New(tr("%s must be a whole number of at least %d", name, min))
	}
	return n, nil
}

func (s *settingsScreen) save() {
	set := s.app.svc.Config().Settings // what the screen does not show stays as it is
	var err error
	set.Workers, _ = strconv.Atoi(s.workers.Selected) // automatic: 0
	if set.UploadLimitKiB, err = positive(s.limit, tr("The upload limit"), 0); err == nil {
		if set.QuietSeconds, err = positive(s.quiet, tr("The wait after a change"), 1); err == nil {
			if set.KeepDailyDays, err = positive(s.daily, tr("Days of daily versions"), 15); err == nil {
				set.MeteredAllowMB, err = positive(s.meteredMB, tr("The size still sent on metered connections"), 0)
			}
		}
	}
	if err != nil {
		s.message.SetText(err.Error())
		return
	}
	set.StartAtLogin = s.login.Checked
	set.MeteredUploads, set.HoldOnBattery = s.metered.Checked, s.onBattery.Checked
	set.LowBatteryPercent = chosen(batteryPercents, batteryChoice, s.lowBattery.Selected, set.LowBatteryPercent)
	set.VerifyDays = chosen(verifyDays, verifyChoice, s.verify.Selected, set.VerifyDays) // a number from the file stays
	for _, code := range languages {
		if languageName(code) == s.language.Selected {
			set.Language = code
		}
	}
	key := strings.TrimSpace(s.apiKey.Text)
	s.message.SetText(tr("Saving…"))
	background(func() (struct{}, error) {
		if key != "" {
			if err := s.app.svc.SetAPIKey(key); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, s.app.svc.UpdateSettings(set)
	}, func(_ struct{}, err error) {
		if err != nil {
			s.message.SetText(service.Sentence(err))
			return
		}
		s.apiKey.SetText("")
		s.message.SetText(tr("Saved."))
	})
}

// doctor checks what the server does, saves the report and shows it.
func (s *settingsScreen) doctor() {
	s.message.SetText(tr("Checking what the server does…"))
	type result struct{ report, path string }
	background(func() (result, error) {
		ctx, cancel := context.WithTimeout(s.app.svc.Context(), 2*time.Minute)
		defer cancel()
		report, path, err := s.app.svc.Doctor(ctx)
		return result{report, path}, err
	}, func(r result, err error) {
		if err != nil {
			s.message.SetText(service.Sentence(err))
			return
		}
		s.message.SetText(tr("The report is saved in %s: attach it to a bug report. It holds no password, key, user or file name.", r.path))
		text := widget.NewLabel(r.report)
		text.TextStyle = fyne.TextStyle{Monospace: true}
		d := dialog.NewCustom(tr("What the server does"), tr("Close"), container.NewVScroll(text), s.app.win)
		d.Resize(fyne.NewSize(680, 480))
		d.Show()
	})
}

func (s *settingsScreen) rename() {
	name := strings.TrimSpace(s.device.Text)
	s.message.SetText(tr("Renaming this computer on the server…"))
	background(func() (struct{}, error) {
		ctx, cancel := context.WithTimeout(s.app.svc.Context(), time.Minute)
		defer cancel()
		return struct{}{}, s.app.svc.RenameDevice(ctx, name)
	}, func(_ struct{}, err error) {
		if err != nil {
			s.message.SetText(service.Sentence(err))
			return
		}
		s.message.SetText(tr("This computer is now %s on the server; its backups moved with it.", name))
	})
}
