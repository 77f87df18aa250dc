package session

import (
	"fmt"

	"github.com/kumo-backup/kumo/account"
	"github.com/kumo-backup/kumo/backup"
	"github.com/kumo-backup/kumo/internal/conditions"
)

// HoldPolicy says when the computer's network and power hold uploads: the
// user's settings, which a command's flags may change. It is the one place
// that decides; the engines only wait.
type HoldPolicy struct {
	MeteredUploads bool  // back up on metered connections too
	MeteredAllow   int64 // while metered, files up to this many bytes still go (0: none)
	OnBattery      bool  // hold whenever on battery
	LowBattery     int   // hold on battery below this percent (0: never)
}

// HoldPolicyOf reads the user's settings.
func HoldPolicyOf(set account.Settings) HoldPolicy {
	set = set.WithDefaults()
	return HoldPolicy{
		MeteredUploads: set.MeteredUploads,
		MeteredAllow:   int64(set.MeteredAllowMB) << 20,
		OnBattery:      set.HoldOnBattery,
		LowBattery:     max(set.LowBatteryPercent, 0),
	}
}

// HoldReason is why a folder holds, for the status and the log.
type HoldReason int

const (
	NotHeld HoldReason = iota
	HeldMetered
	HeldOnBattery
	HeldLowBattery
)

func (h HoldReason) String() string {
	return [...]string{"not held", "metered connection", "on battery", "low battery"}[h]
}

// HoldFor is the hold the computer's state puts on one folder, and why.
// Power comes first: a flat battery holds even a folder allowed on metered
// connections.
func (p HoldPolicy) HoldFor(f account.Folder, c conditions.State) (backup.Hold, HoldReason) {
	switch {
	case c.OnBattery && p.OnBattery:
		return backup.Hold{All: true}, HeldOnBattery
	case c.OnBattery && p.LowBattery > 0 && c.Battery >= 0 && c.Battery < float64(p.LowBattery):
		return backup.Hold{All: true}, HeldLowBattery
	case c.Metered && !p.MeteredUploads && !f.OnMetered:
		if p.MeteredAllow > 0 {
			return backup.Hold{Above: p.MeteredAllow}, HeldMetered
		}
		return backup.Hold{All: true}, HeldMetered
	}
	return backup.NoHold, NotHeld
}

// String is the policy as a log line shows it.
func (p HoldPolicy) String() string {
	metered := "hold"
	switch {
	case p.MeteredUploads:
		metered = "upload"
	case p.MeteredAllow > 0:
		metered = fmt.Sprintf("hold files over %d MB", p.MeteredAllow>>20)
	}
	battery := "never hold"
	switch {
	case p.OnBattery:
		battery = "hold"
	case p.LowBattery > 0:
		battery = fmt.Sprintf("hold below %d%%", p.LowBattery)
	}
	return fmt.Sprintf("metered=(%s) battery=(%s)", metered, battery)
}
