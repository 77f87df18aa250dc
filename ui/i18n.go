package ui

import (
	"embed"
	"fmt"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/kumo-backup/kumo/internal/msg"
	"github.com/kumo-backup/kumo/internal/service"
)

// translationFiles are the UI's words in each language: <code>.json maps
// the English text (the key, as written in the code) to its translation;
// fyne-ja.json is Fyne's own widget words (Cancel, Paste, weekdays…), which
// Fyne ships no Japanese for, and fyne-en.json the same in English, so that
// English chosen in Settings wins over a Japanese system.
//
//go:embed translations/*.json
var translationFiles embed.FS

// languages are the choices in Settings, by code: "" follows the system.
var languages = []string{"", "en", "ja"}

const systemLanguage = "System language"

// languageName is a language as its own speakers write it.
func languageName(code string) string {
	switch code {
	case "en":
		return "English"
	case "ja":
		return "日本語"
	}
	return tr(systemLanguage)
}

// tr is a sentence of the UI in the chosen language; with args its
// translation is a fmt format (a translation may reorder them: %[2]s).
func tr(key string, args ...any) string {
	s := lang.L(key)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// useLanguage loads the translations for choice ("" the system's, "en",
// "ja") before any window is made; a later change applies at the next start.
func useLanguage(choice string) error {
	service.UseLanguage(resolveLanguage(choice))
	files, locales := []string{"ja.json", "fyne-ja.json"}, []fyne.Locale{"ja"}
	switch choice {
	case "en":
		// Over whatever the system's language would have chosen.
		files, locales = []string{"en.json", "fyne-en.json"}, []fyne.Locale{"en", lang.SystemLocale()}
	case "ja":
		locales = append(locales, lang.SystemLocale()) // so it wins whatever the system's language
	}
	for _, name := range files {
		data, err := translationFiles.ReadFile("translations/" + name)
		if err != nil {
			return err
		}
		for _, l := range locales {
			if err := lang.AddTranslationsForLocale(data, l); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

// resolveLanguage is the language choice ends up as: "en" or "ja".
func resolveLanguage(choice string) string {
	switch choice {
	case "en", "ja":
		return choice
	}
	if msg.FromEnv(os.Getenv) == "ja" || strings.HasPrefix(string(lang.SystemLocale()), "ja") {
		return "ja"
	}
	return "en"
}
