package service

import (
	"time"

	"github.com/kumo-backup/kumo/internal/human"
	"github.com/kumo-backup/kumo/internal/msg"
)

// State is the one word the tray icon shows.
type State int

const (
	SignedOut State = iota
	Idle
	Busy
	Paused
	Failing // something needs the user
	Held    // waiting for an unmetered connection or for power
)

func (s State) String() string {
	return [...]string{"signed out", "idle", "backing up", "paused", "needs attention", "waiting"}[s]
}

// Problem is one thing the user should know about, with what to do.
type Problem struct {
	Folder  string // local folder, or "" for the account
	Path    string // file inside it, if any
	Message string
	// Notify marks problems a person must act on (password changed, quota
	// full, folder gone): the app shows a desktop notification once.
	Notify bool
}

// Status is everything the window and tray show, as one immutable value.
type Status struct {
	State      State
	Line       string  // "Up to date", "Backing up 1,204 of 9,810 files, 2.1 GB left, about 3 min"
	Fraction   float64 // progress of the current pass, 0..1
	Speed      float64 // bytes per second
	Quota      string  // "3.1 GB of 20 GB used", "" when unknown
	Recent     []string
	Problems   []Problem
	LastBackup time.Time
	Folders    []string
	Account    string // "user on node.teracloud.jp", "the demo server"
	Device     string
	// AskPassword is set once the server refused the password while backing
	// up: every folder holds until Reauthenticate succeeds.
	AskPassword bool
	// PausedUntil is when a timed pause ends (zero: paused until resumed, or not paused).
	PausedUntil time.Time
	// Holding says what the network or power holds while the rest goes on
	// ("On a metered connection: files over 10 MB wait…"); "" when nothing.
	Holding string
	// Late lists the folders that have fallen behind for longer than the
	// settings allow; the tray shows a warning icon while there are any.
	Late []Late
	// Computers are the account's other computers, newest backup first.
	Computers []Computer
	// Verified says how far reading the server's copies back has come:
	// "Verified: 3 days ago, 12,400 of 12,400 files"; "" before it starts.
	Verified string
}

// line says in words what is happening.
func line(state State, files, total int64, bytesLeft int64, eta time.Duration, last time.Time, problems int, askPassword bool) string {
	if askPassword {
		return msg.T("Paused: the server refused the password. Enter the new Apps Password to continue")
	}
	switch state {
	case SignedOut:
		return msg.T("Not signed in")
	case Paused:
		return msg.T("Paused: changes are noted and will be backed up when you resume")
	case Busy:
		if total == 0 {
			return msg.T("Looking for changes…")
		}
		s := msg.T("Backing up %s of %s files, %s left", human.Count(files), human.Count(total), human.Bytes(bytesLeft))
		if eta > 0 {
			s += msg.T(", about %s", human.Duration(eta))
		}
		return s
	}
	if problems > 0 {
		if problems == 1 {
			return msg.T("Needs attention: 1 problem")
		}
		return msg.T("Needs attention: %d problems", problems)
	}
	if last.IsZero() {
		return msg.T("Waiting for the first backup")
	}
	return msg.T("Up to date")
}
