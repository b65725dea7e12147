package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// LogLevels are the values log_level and --log-level take, from the most
// verbose: debug adds a line per OVH API call (method, route, status,
// duration, OVH's query id) to the info lines.
var LogLevels = []string{"debug", "info", "warn", "error"}

var levelByName = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// ParseLogLevel returns the slog level one of LogLevels names. It is strict:
// no other spelling ("INFO", "warning", "debug+2") is accepted.
func ParseLogLevel(name string) (slog.Level, error) {
	if l, ok := levelByName[name]; ok {
		return l, nil
	}
	return 0, fmt.Errorf("%q is not %s or %s", name,
		strings.Join(LogLevels[:len(LogLevels)-1], ", "), LogLevels[len(LogLevels)-1])
}

// Level is the config's log_level as a slog.Level; info when the Config
// holds no valid level (Parse and Validate refuse such a Config).
func (c *Config) Level() slog.Level {
	if l, err := ParseLogLevel(c.LogLevel); err == nil {
		return l
	}
	return slog.LevelInfo
}
