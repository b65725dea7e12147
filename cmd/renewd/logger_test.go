package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestLoggerLeavesTheTimeToTheJournal checks that under systemd
// (JOURNAL_STREAM set) no log line carries a time, in either format, and
// that elsewhere every line does.
func TestLoggerLeavesTheTimeToTheJournal(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		for _, journal := range []string{"", "8:123456"} {
			t.Run(format+"/journal="+journal, func(t *testing.T) {
				var buf bytes.Buffer
				e := &env{getenv: func(k string) string {
					if k == "JOURNAL_STREAM" {
						return journal
					}
					return ""
				}}
				log, err := newLogger(e, &buf, format, slog.LevelInfo)
				if err != nil {
					t.Fatal(err)
				}
				log.Info("cycle done", "paid", 1)
				log.With("account", "default").Warn("renewal held back", "service_id", 1001)
				lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
				if len(lines) != 2 {
					t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
				}
				for _, line := range lines {
					var hasTime bool
					if format == "json" {
						var rec map[string]any
						if err := json.Unmarshal([]byte(line), &rec); err != nil {
							t.Fatalf("not JSON: %v: %s", err, line)
						}
						_, hasTime = rec["time"]
					} else {
						hasTime = strings.HasPrefix(line, "time=") || strings.Contains(line, " time=")
					}
					if want := journal == ""; hasTime != want {
						t.Errorf("time present = %v, want %v: %s", hasTime, want, line)
					}
				}
			})
		}
	}
}
