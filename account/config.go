package account

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ConfigVersion is the config format this Kumo writes. Older files are
// migrated on load; newer ones are refused rather than misread.
const ConfigVersion = 1

// Config is Kumo's non-secret settings, kept in the OS config folder.
type Config struct {
	Version int `json:"version"`
	// MachineID identifies this computer to its device folder on the server.
	MachineID string   `json:"machine_id"`
	Account   *Account `json:"account,omitempty"`
	// Demo backs up to the built-in emulator instead of an account.
	Demo     bool     `json:"demo,omitempty"`
	Folders  []Folder `json:"folders,omitempty"`
	Settings Settings `json:"settings"`
	// TrayHintShown records that the user was told closing the window keeps
	// the backup running.
	TrayHintShown bool `json:"tray_hint_shown,omitempty"`
	// Paused is the user's pause, kept so that a restart does not end it.
	Paused *Pause `json:"paused,omitempty"`
	// BackedUp is when each folder (by path) was last known fully backed
	// up, so that a backup that stopped is noticed across restarts.
	BackedUp map[string]time.Time `json:"backed_up,omitempty"`
}

// Pause holds every upload until the user resumes, or until Until.
type Pause struct {
	Until time.Time `json:"until,omitzero"` // zero: until the user resumes
}

// Folder is a local folder the desktop app backs up.
type Folder struct {
	Path     string   `json:"path"`
	Excludes []string `json:"excludes,omitempty"` // gitignore-style patterns
	// OnMetered backs this folder up on metered connections too.
	OnMetered bool `json:"on_metered,omitempty"`
	// Encrypted folders are written in rclone's crypt format; the
	// passphrase is in the keyring (SavePassphrase), never here.
	Encrypted bool `json:"encrypted,omitempty"`
}

// Settings tune the desktop app's engine; zero values mean the defaults.
type Settings struct {
	Workers        int  `json:"workers,omitempty"`          // parallel uploads; 0 adapts (4 to 16)
	UploadLimitKiB int  `json:"upload_limit_kib,omitempty"` // 0: unlimited
	QuietSeconds   int  `json:"quiet_seconds,omitempty"`    // a change settles for this long, 1
	KeepDailyDays  int  `json:"keep_daily_days,omitempty"`  // every version for 14 days, daily to this (90)
	StartAtLogin   bool `json:"start_at_login,omitempty"`
	// MeteredUploads backs every folder up on metered connections too;
	// otherwise they hold there, except files up to MeteredAllowMB.
	MeteredUploads bool `json:"metered_uploads,omitempty"`
	MeteredAllowMB int  `json:"metered_allow_mb,omitempty"`
	// HoldOnBattery holds whenever on battery; LowBatteryPercent holds on
	// battery below it (20; negative: never).
	HoldOnBattery     bool `json:"hold_on_battery,omitempty"`
	LowBatteryPercent int  `json:"low_battery_percent,omitempty"`
	// A folder is late when its changes have waited StaleHours (24) or it
	// was last fully backed up StaleDays ago (3); negative: never.
	StaleHours int `json:"stale_hours,omitempty"`
	StaleDays  int `json:"stale_days,omitempty"`
	// VerifyDays: every file's server copy is read back within this many
	// days (30), only on an unmetered connection and mains power; negative: never.
	VerifyDays int `json:"verify_days,omitempty"`
	// Language of the app: "" the system's, "en" or "ja".
	Language string `json:"language,omitempty"`
}

// WithDefaults fills the zero values.
func (s Settings) WithDefaults() Settings {
	s.Workers = max(s.Workers, 0)
	if s.QuietSeconds <= 0 {
		s.QuietSeconds = 1
	}
	if s.KeepDailyDays <= 0 {
		s.KeepDailyDays = 90
	}
	s.MeteredAllowMB = max(s.MeteredAllowMB, 0)
	if s.LowBatteryPercent == 0 {
		s.LowBatteryPercent = 20
	}
	if s.StaleHours == 0 {
		s.StaleHours = 24
	}
	if s.StaleDays == 0 {
		s.StaleDays = 3
	}
	if s.VerifyDays == 0 {
		s.VerifyDays = 30
	}
	return s
}

// DefaultConfigPath is os.UserConfigDir()/kumo/config.json.
func DefaultConfigPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find this user's config folder: %w", err)
	}
	return filepath.Join(dir, "kumo", "config.json"), nil
}

// LoadConfig reads the config at path; a missing file is an empty config.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{Version: ConfigVersion, MachineID: newMachineID()}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the settings file %s: %w", path, err)
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("the settings file %s is damaged (%v): move it away and sign in again", path, err)
	}
	switch {
	case c.Version > ConfigVersion:
		return nil, fmt.Errorf("the settings file %s was written by a newer Kumo (format %d): update Kumo", path, c.Version)
	case c.Version < 1:
		c.Version = ConfigVersion // version 0: the same fields, before versioning
	}
	if c.MachineID == "" {
		c.MachineID = newMachineID()
	}
	return &c, nil
}

func newMachineID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Save writes the config atomically: a crash leaves the old file or the new
// one, never half of one. The file is readable by its owner only.
func (c *Config) Save(path string) error {
	c.Version = ConfigVersion
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(raw, '\n'), 0o600)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot replace %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename itself durable
		d.Close()
	}
	return nil
}
