package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/kumo-backup/kumo/internal/service"
)

// luminance is WCAG 2's relative luminance.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	ch := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(r) + 0.7152*ch(g) + 0.0722*ch(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Text Kumo shows is readable in the light and the dark theme: WCAG AA
// (4.5:1) for body text, 3:1 for the error and link colours. (Disabled
// controls are exempt in WCAG; Fyne's disabled grey is 1.3:1 on dark and
// 1.6:1 on light, so Kumo never puts information in a disabled widget.)
func TestReadableContrastInBothThemes(t *testing.T) {
	th := theme.DefaultTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		bg := th.Color(theme.ColorNameBackground, v)
		for name, min := range map[fyne.ThemeColorName]float64{
			theme.ColorNameForeground: 4.5, theme.ColorNameError: 3, theme.ColorNameHyperlink: 3,
		} {
			if c := contrast(th.Color(name, v), bg); c < min {
				t.Errorf("variant %d: %s on the background has contrast %.2f, want at least %.1f", v, name, c, min)
			}
		}
		// The primary button's label against the button.
		if c := contrast(th.Color(theme.ColorNameForegroundOnPrimary, v), th.Color(theme.ColorNamePrimary, v)); c < 3 {
			t.Errorf("variant %d: primary button text contrast %.2f", v, c)
		}
	}
}

// Onboarding works from the keyboard: Tab walks the fields in reading order.
func TestOnboardingKeyboardOrder(t *testing.T) {
	k := newTestApp(t, service.Options{})
	o := k.onboard
	c := k.win.Canvas()
	want := []fyne.Focusable{o.url, o.user, o.password}
	var got []fyne.Focusable
	onUIWait(func() {
		c.Focus(want[0])
		for i := 1; i < len(want); i++ {
			c.FocusNext()
			got = append(got, c.Focused())
		}
	})
	for i, f := range got {
		if f != want[i+1] {
			t.Fatalf("Tab %d focused %T, want field %d", i+1, f, i+1)
		}
	}
	typeText(o.password, "typed")
	if read(func() string { return o.password.Text }) != "typed" {
		t.Error("typing into the focused password field did nothing")
	}
}
