// Package conditions reads what the computer says about its network and
// power (a metered connection, the battery) and tells of every change, so
// that backing up can hold while uploading would cost a person their data
// plan or their battery. It decides nothing: session.HoldPolicy does.
package conditions

import (
	"context"
	"fmt"
	"strings"
)

// State is the network and power as the platform reports them.
type State struct {
	// Metered: the connection is metered, or guessed to be (a phone
	// hotspot is often only guessed).
	Metered   bool
	OnBattery bool
	Battery   float64 // percent charged; negative when unknown
	// Seen says what the platform reported, in words, for the log and
	// kumo doctor ("NetworkManager: metered (guessed); UPower: on battery, 45%").
	Seen string
}

// Unknown is the state when nothing says otherwise: unmetered, on mains.
var Unknown = State{Battery: -1, Seen: "no network or power information"}

// Source tells of the state and its changes.
type Source interface {
	// Watch calls changed with the state now and after every change (from
	// its own goroutine, one call at a time) until ctx ends.
	Watch(ctx context.Context, changed func(State))
}

// Fixed is a Source whose state never changes.
type Fixed State

// Watch tells the fixed state once.
func (f Fixed) Watch(ctx context.Context, changed func(State)) {
	changed(State(f))
	<-ctx.Done()
}

// String is the state in a few words, as the log shows it.
func (s State) String() string {
	var parts []string
	if s.Metered {
		parts = append(parts, "metered")
	} else {
		parts = append(parts, "unmetered")
	}
	switch {
	case s.OnBattery && s.Battery >= 0:
		parts = append(parts, fmt.Sprintf("on battery at %.0f%%", s.Battery))
	case s.OnBattery:
		parts = append(parts, "on battery")
	default:
		parts = append(parts, "on mains power")
	}
	return strings.Join(parts, ", ")
}
