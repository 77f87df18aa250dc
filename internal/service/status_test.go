package service

import (
	"testing"
	"time"
)

// The status line reads like a sentence a person would say.
func TestStatusLine(t *testing.T) {
	last := time.Now()
	for _, c := range []struct {
		state             State
		done, total, left int64
		eta               time.Duration
		last              time.Time
		problems          int
		want              string
	}{
		{Busy, 1204, 9810, 2254857830, 3 * time.Minute, last, 0, "Backing up 1,204 of 9,810 files, 2.1 GiB left, about 3 min"},
		{Busy, 0, 0, 0, 0, last, 0, "Looking for changes…"},
		{Idle, 0, 0, 0, 0, last, 0, "Up to date"},
		{Idle, 0, 0, 0, 0, time.Time{}, 0, "Waiting for the first backup"},
		{Failing, 0, 0, 0, 0, last, 2, "Needs attention: 2 problems"},
		{Paused, 0, 0, 0, 0, last, 0, "Paused: changes are noted and will be backed up when you resume"},
		{SignedOut, 0, 0, 0, 0, last, 0, "Not signed in"},
	} {
		if got := line(c.state, c.done, c.total, c.left, c.eta, c.last, c.problems, false); got != c.want {
			t.Errorf("%v: %q, want %q", c.state, got, c.want)
		}
	}
}

// A pause's end reads as a person says it; "until tomorrow" ends at 08:00
// on the next day, even when asked just before midnight.
func TestPauseEndInWords(t *testing.T) {
	now := time.Date(2026, 3, 2, 23, 50, 0, 0, time.Local)
	if got, want := Tomorrow(now), time.Date(2026, 3, 3, 8, 0, 0, 0, time.Local); !got.Equal(want) {
		t.Errorf("Tomorrow(%v) = %v, want %v", now, got, want)
	}
	for _, c := range []struct {
		until time.Time
		want  string
	}{
		{time.Date(2026, 3, 2, 23, 55, 0, 0, time.Local), "23:55"},
		{time.Date(2026, 3, 3, 8, 0, 0, 0, time.Local), "tomorrow 08:00"},
		{time.Date(2026, 3, 5, 8, 0, 0, 0, time.Local), "Thu 5 Mar 08:00"},
	} {
		if got := untilWords(c.until, now); got != c.want {
			t.Errorf("untilWords(%v) = %q, want %q", c.until, got, c.want)
		}
	}
}

// A moment that passed reads as a person says it, across midnight and the
// new year too.
func TestPastInWords(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 10, 0, 0, time.Local)
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 1, 1, 0, 5, 0, 0, time.Local), "00:05"},
		{time.Date(2025, 12, 31, 23, 55, 0, 0, time.Local), "yesterday 23:55"},
		{time.Date(2025, 12, 30, 9, 0, 0, 0, time.Local), "30 Dec 2025 09:00"},
		{time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local), "Mon 2 Mar 09:00"},
	} {
		n := now
		if c.at.After(now) {
			n = c.at.AddDate(0, 0, 5) // a date of this year, days later
		}
		if got := pastWords(c.at, n); got != c.want {
			t.Errorf("pastWords(%v, %v) = %q, want %q", c.at, n, got, c.want)
		}
	}
}
