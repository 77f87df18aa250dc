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
