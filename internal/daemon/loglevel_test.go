package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"testing"
)

// TestReloadSetsTheLogLevel reloads configs that change log_level: with
// Options.LogLevel the level follows the file (debug lines appear, then go
// again), without it the level stays and the reload says why.
func TestReloadSetsTheLogLevel(t *testing.T) {
	e := newEnv(t)
	writeLevel := func(level string) {
		t.Helper()
		body := fmt.Sprintf("log_level: %s\n", level) + fmt.Sprintf(testConfig, e.dir, e.endpoint, e.socket, "")
		if err := os.WriteFile(e.cfgPath, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		fixed     bool
		to        string
		wantLevel slog.Level
		wantLog   string
	}{
		{"reloadable, to debug", false, "debug", slog.LevelDebug, "log_level info -> debug"},
		// The reload's own info line is already below the new level.
		{"reloadable, to error", false, "error", slog.LevelError, ""},
		{"fixed by --log-level", true, "debug", slog.LevelInfo, "--log-level fixes the level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.log = &syncBuffer{}
			writeLevel("info")
			var level slog.LevelVar // info
			opts := e.options(t)
			opts.Listener.Close()
			opts.Listener = nil
			opts.Logger = slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: &level}))
			if !tt.fixed {
				opts.LogLevel = &level
			}
			d, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			writeLevel(tt.to)
			if err := d.Reload(); err != nil {
				t.Fatalf("Reload: %v", err)
			}
			if got := level.Level(); got != tt.wantLevel {
				t.Errorf("level after reload = %v, want %v", got, tt.wantLevel)
			}
			if tt.wantLog == "" && e.log.contains("config reloaded") {
				t.Errorf("info line logged at level %v:\n%s", tt.wantLevel, e.log)
			}
			if !e.log.contains(tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, e.log)
			}
			d.log.Debug("a debug line")
			if got, want := e.log.contains("a debug line"), tt.wantLevel == slog.LevelDebug; got != want {
				t.Errorf("debug line logged = %v, want %v", got, want)
			}
		})
	}
}
