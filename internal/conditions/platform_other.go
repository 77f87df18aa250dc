//go:build !linux && !windows && !darwin

package conditions

// System knows nothing on this platform: never metered, never on battery.
func System() Source { return Fixed(Unknown) }

// FromEnv is System: only Linux reads a bus that the environment names.
func FromEnv(func(string) string) Source { return System() }
