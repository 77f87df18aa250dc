// Package human formats quantities for people.
package human

import (
	"fmt"
	"time"

	"github.com/kumo-backup/kumo/internal/msg"
)

// Bytes formats n with binary units: 512 B, 1.5 KiB, 20.0 MiB.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Count formats n with thousands separators: 9,810.
func Count(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Duration formats a remaining time roughly: "20 s", "3 min", "2 h 5 min".
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return msg.T("%d s", max(1, int(d.Seconds()+0.5)))
	case d < time.Hour:
		return msg.T("%d min", int(d.Minutes()+0.5))
	}
	h := int(d.Hours())
	m := int((d - time.Duration(h)*time.Hour).Minutes() + 0.5)
	return msg.T("%d h %d min", h, m)
}

// Ago says how long ago a moment was, roughly, with the moment itself:
// "just now", "25 min ago", "5 h ago", "3 days ago (Mon 2 Mar 09:00)".
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return msg.T("just now")
	case d < time.Hour:
		return msg.T("%d min ago", int(d.Minutes()))
	case d < 24*time.Hour:
		return msg.T("%d h ago", int(d.Hours()))
	}
	days, at := int(d.Hours()/24), t.Local().Format(msg.T("Mon 2 Jan 15:04"))
	if days == 1 {
		return msg.T("1 day ago (%[2]s)", days, at)
	}
	return msg.T("%d days ago (%s)", days, at)
}
