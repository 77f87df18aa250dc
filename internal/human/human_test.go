package human

import (
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 3, 9, 9, 0, 0, 0, time.Local)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{20 * time.Second, "just now"},
		{25 * time.Minute, "25 min ago"},
		{5*time.Hour + 59*time.Minute, "5 h ago"},
		{30 * time.Hour, "1 day ago (Sun 8 Mar 03:00)"},
		{7 * 24 * time.Hour, "7 days ago (Mon 2 Mar 09:00)"},
	} {
		if got := Ago(now.Add(-c.d), now); got != c.want {
			t.Errorf("Ago(-%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
