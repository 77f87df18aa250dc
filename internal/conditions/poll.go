//go:build windows || darwin

package conditions

import (
	"context"
	"time"
)

// pollEvery is how often platforms without change signals are asked.
const pollEvery = 30 * time.Second

// poll tells read's state now and whenever it differs, until ctx ends.
func poll(ctx context.Context, read func() State, changed func(State)) {
	last := read()
	changed(last)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if now := read(); now != last {
				last = now
				changed(now)
			}
		}
	}
}
