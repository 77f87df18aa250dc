package ui

import (
	"context"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kumo-backup/kumo/internal/service"
)

// Choices on the first screen.
const (
	choiceInfini = "InfiniCLOUD"
	choiceWebDAV = "Another WebDAV server"
	choiceDemo   = "Try it with a local demo server (no account)"
)

// myPageURL is where InfiniCLOUD users turn on Apps Connection.
var myPageURL, _ = url.Parse("https://infini-cloud.net/en/modules/mypage/")

// onboarding is the first-run screen: where backups go, and signing in.
type onboarding struct {
	app      *App
	content  fyne.CanvasObject
	choice   *widget.RadioGroup
	url      *widget.Entry
	user     *widget.Entry
	password *widget.Entry
	device   *widget.Entry
	area     *widget.Select
	form     *fyne.Container
	result   *widget.Label
	test     *widget.Button
	signIn   *widget.Button
	urlHint  *widget.Label
}

func newOnboarding(k *App) *onboarding {
	o := &onboarding{app: k}
	logo := canvas.NewImageFromResource(iconResource)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(72, 72))
	title := widget.NewLabelWithStyle(tr("Welcome to Kumo Backup"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	intro := widget.NewLabel(tr("Kumo backs up your folders within seconds of every change, and keeps earlier versions. Where should your backups go?"))
	intro.Wrapping = fyne.TextWrapWord

	o.url = widget.NewEntry()
	o.url.SetPlaceHolder("https://NODE.teracloud.jp/dav/")
	o.user = widget.NewEntry()
	o.user.SetPlaceHolder(tr("your user ID"))
	o.password = widget.NewPasswordEntry()
	o.password.SetPlaceHolder(tr("Apps Password"))
	o.device = widget.NewEntry()
	o.device.SetText(service.DefaultDevice())
	o.area = widget.NewSelect([]string{service.AreaBackup, service.AreaDAV}, nil)
	o.area.SetSelected(service.AreaBackup)
	o.urlHint = widget.NewLabel("")
	o.urlHint.Wrapping = fyne.TextWrapWord
	o.result = widget.NewLabel("")
	o.result.Wrapping = fyne.TextWrapWord
	o.test = widget.NewButton(tr("Test connection"), o.testConnection)
	o.signIn = widget.NewButton(tr("Sign in and choose folders"), o.doSignIn)
	o.signIn.Importance = widget.HighImportance
	hint := widget.NewHyperlink(tr("Turn on Apps Connection and get the Apps Password in My Page"), myPageURL)

	o.form = container.NewVBox(
		widget.NewForm(
			// My Page → Apps Connection's own words, so a person can match each field.
			widget.NewFormItem(tr("WebDAV Connection URL"), o.url),
			widget.NewFormItem(tr("Connection ID"), o.user),
			widget.NewFormItem(tr("Apps Password"), o.password),
			widget.NewFormItem(tr("Area"), o.area),
			widget.NewFormItem(tr("This computer"), o.device),
		),
		o.urlHint, hint,
	)
	o.choice = widget.NewRadioGroup([]string{tr(choiceInfini), tr(choiceWebDAV), tr(choiceDemo)}, func(c string) {
		o.result.SetText("")
		switch c {
		case tr(choiceDemo):
			o.form.Hide()
			o.test.Hide()
			o.signIn.SetText(tr("Start the demo and choose folders"))
		case tr(choiceWebDAV):
			o.form.Show()
			o.test.Show()
			o.area.Disable()
			hint.Hide()
			o.url.SetPlaceHolder("https://dav.example.com/backups/")
			o.urlHint.SetText(tr("The address of the folder on your WebDAV server that Kumo may write in (https only), " +
				"with that server's user name and password."))
			o.signIn.SetText(tr("Sign in and choose folders"))
		default:
			o.form.Show()
			o.test.Show()
			o.area.Enable()
			hint.Show()
			o.url.SetPlaceHolder("https://NODE.teracloud.jp/dav/")
			o.urlHint.SetText(tr("Copy the WebDAV Connection URL, the Connection ID and the Apps Password from My Page → Apps Connection. " +
				"The backup area keeps backups apart from your files."))
			if service.CanFindServer() {
				o.url.SetPlaceHolder(tr("leave empty: Kumo asks InfiniCLOUD where your data is"))
				o.urlHint.SetText(tr("Copy the Connection ID and the Apps Password from My Page → Apps Connection; " +
					"Kumo finds the WebDAV Connection URL by itself. The backup area keeps backups apart from your files."))
			}
			o.signIn.SetText(tr("Sign in and choose folders"))
		}
	})
	o.choice.SetSelected(tr(choiceInfini))
	o.content = container.NewPadded(container.NewVScroll(container.NewVBox(
		container.NewBorder(nil, nil, logo, nil, container.NewVBox(title, intro)),
		o.choice, o.form, container.NewHBox(o.test, o.signIn), o.result,
	)))
	return o
}

// login reads the form; the service checks it.
func (o *onboarding) login() service.Login {
	l := service.Login{Service: service.InfiniCLOUD, URL: strings.TrimSpace(o.url.Text), Area: o.area.Selected,
		User: o.user.Text, Device: o.device.Text, Password: o.password.Text}
	if o.choice.Selected == tr(choiceWebDAV) {
		l.Service = service.WebDAV
	}
	return l
}

func (o *onboarding) busy(on bool, msg string) {
	o.result.SetText(msg)
	if on {
		o.test.Disable()
		o.signIn.Disable()
	} else {
		o.test.Enable()
		o.signIn.Enable()
	}
}

func (o *onboarding) testConnection() {
	l := o.login()
	o.busy(true, tr("Testing the connection…"))
	background(func() (string, error) {
		ctx, cancel := context.WithTimeout(o.app.svc.Context(), time.Minute)
		defer cancel()
		return o.app.svc.Check(ctx, l)
	}, func(msg string, err error) {
		o.busy(false, msg)
		if err != nil {
			o.result.SetText(service.Sentence(err))
		}
	})
}

func (o *onboarding) doSignIn() {
	if o.choice.Selected == tr(choiceDemo) {
		o.busy(true, tr("Starting the demo server…"))
		background(func() (struct{}, error) { return struct{}{}, o.app.svc.StartDemo() }, func(_ struct{}, err error) {
			o.busy(false, "")
			if err != nil {
				o.result.SetText(service.Sentence(err))
				return
			}
			o.app.signedIn()
		})
		return
	}
	o.signInAs(o.login(), false)
}

// signInAs signs in; when another computer's backups already use this
// device name (this computer before a reinstall, typically), it asks
// whether to continue them.
func (o *onboarding) signInAs(l service.Login, takeOver bool) {
	o.busy(true, tr("Signing in…"))
	background(func() (struct{}, error) {
		ctx, cancel := context.WithTimeout(o.app.svc.Context(), time.Minute)
		defer cancel()
		return struct{}{}, o.app.svc.SignIn(ctx, l, takeOver)
	}, func(_ struct{}, err error) {
		o.busy(false, "")
		if service.IsDeviceTaken(err) && !takeOver {
			device := strings.TrimSpace(l.Device)
			o.result.SetText(service.Sentence(err))
			dialog.ShowConfirm(tr("Continue the backups of %s?", device),
				tr("Choose Yes if this computer was %[1]s before (a reinstall or a new disk): Kumo continues its backups "+
					"and its history. Choose No to type a different name for this computer.", device), func(yes bool) {
					if yes {
						o.signInAs(l, true)
					}
				}, o.app.win)
			return
		}
		if err != nil {
			o.result.SetText(service.Sentence(err))
			return
		}
		o.password.SetText("")
		o.app.signedIn()
	})
}
