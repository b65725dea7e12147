package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

// TestUsageErrorsShowTheCommandsUsage: a bad flag or argument count is
// exit 2, with the command's usage then the reason on stderr, and nothing
// on stdout (a script's pipe gets no half answer).
func TestUsageErrorsShowTheCommandsUsage(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	tests := []struct {
		args   []string
		usage  string // the usage line shown; "" for the list of commands
		reason string
	}{
		{[]string{"approve", "--config", o.config}, "renewd approve [flags] TERM|APPROVAL_ID", "approve: want 1 argument(s) (TERM|APPROVAL_ID), got 0: []"},
		{[]string{"approve", "a", "b", "--config", o.config}, "renewd approve [flags] TERM|APPROVAL_ID", `got 2: ["a" "b"]`},
		{[]string{"plan", "extra", "--config", o.config}, "renewd plan [flags]", `plan: want no argument, got 1: ["extra"]`},
		{[]string{"plan", "--nope"}, "renewd plan [flags]", "plan: unknown flag: --nope"},
		{[]string{"plan", "-config", o.config}, "renewd plan [flags]", "plan: -config: long flags take two dashes: --config"},
		{[]string{"history", "--limit", "many"}, "renewd history [flags]", `history: invalid argument "many" for "--limit" flag`},
		{[]string{"history", "--term"}, "renewd history [flags]", "history: flag needs an argument: --term"},
		{[]string{"backup", "--config", o.config}, "renewd backup [flags] FILE", "backup: want 1 argument(s) (FILE), got 0"},
		{[]string{"deny", "x\x1b[2Jy", "z"}, "renewd deny [flags] TERM|APPROVAL_ID", `["x\x1b[2Jy" "z"]`},
		{[]string{"frobnicate"}, "", `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, "", `help: unknown command "frobnicate"`},
		{[]string{"completion", "tcsh"}, "", `completion: "tcsh" is not one of bash, zsh, fish`},
		{[]string{"completion"}, "renewd completion [flags] bash|zsh|fish", "want 1 argument(s)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "renewd: ") || !strings.Contains(last, tt.reason) {
				t.Errorf("last line of stderr %q, want the reason %q", last, tt.reason)
			}
			if tt.usage != "" && !strings.Contains(errs, "Usage: "+tt.usage+"\n") {
				t.Errorf("stderr lacks the usage %q:\n%s", tt.usage, errs)
			}
			if strings.Contains(errs, "\x1b") {
				t.Errorf("stderr holds an escape character: %q", errs)
			}
		})
	}
	if code, out, _ := runCLI(t); code != exitUsage || !strings.Contains(out, "Commands:") {
		t.Errorf("renewd alone: exit %d, want %d and the list of commands:\n%s", code, exitUsage, out)
	}
	if code, out, _ := runCLI(t, "help"); code != exitOK || !strings.Contains(out, "Commands:") {
		t.Errorf("renewd help: exit %d, want 0 and the list of commands:\n%s", code, out)
	}
}

// TestHelpShowsUsageAndAnExample: `renewd help NAME`, `renewd NAME --help`
// and `renewd NAME -h` print the same: the usage line, the flags and an
// example, on stdout, exit 0; every command has an example, and the list
// names every command but the hidden one.
func TestHelpShowsUsageAndAnExample(t *testing.T) {
	_, list, _ := runCLI(t, "help")
	for _, c := range commands() {
		if c.hidden {
			if strings.Contains(list, c.name) {
				t.Errorf("the list of commands shows the hidden %s", c.name)
			}
			continue
		}
		if !strings.Contains(list, "\n  "+c.name+" ") {
			t.Errorf("the list of commands lacks %s", c.name)
		}
		if c.example == "" {
			t.Errorf("renewd %s has no example", c.name)
		}
		_, want, _ := runCLI(t, "help", c.name)
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {c.name, "x", "--help"}} {
			code, out, errs := runCLI(t, args...)
			if code != exitOK || out != want || errs != "" {
				t.Errorf("renewd %s: exit %d, stdout %q, stderr %q; want 0 and `renewd help %s`", strings.Join(args, " "), code, out, errs, c.name)
			}
		}
		for _, part := range []string{"Usage: " + c.usageLine() + "\n", "Flags:\n", "  -h, --help", "Example:\n  " + strings.Split(c.example, "\n")[0]} {
			if !strings.Contains(want, part) {
				t.Errorf("renewd help %s lacks %q:\n%s", c.name, part, want)
			}
		}
	}
}

// TestDoubleDashEndsTheFlags: after --, an argument that starts with a
// dash is an argument.
func TestDoubleDashEndsTheFlags(t *testing.T) {
	r := newDaemonRig(t)
	if code, _, errs := r.cli(t, "once"); code != exitNotDone {
		t.Fatalf("once: exit %d\n%s", code, errs)
	}
	t.Chdir(t.TempDir())
	code, out, errs := runCLI(t, "backup", "--config", r.cfgPath, "--", "-copy.db")
	if code != exitOK {
		t.Fatalf("backup -- -copy.db: exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat("-copy.db"); err != nil {
		t.Errorf("no file -copy.db: %v", err)
	}
	if code, _, errs := runCLI(t, "backup", "--config", r.cfgPath, "-copy.db"); code != exitUsage {
		t.Errorf("backup -copy.db (without --): exit %d, want %d\n%s", code, exitUsage, errs)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "-copy.db")); err == nil {
		t.Errorf("a backup was written without --")
	}
}

func TestPrintableEscapesWhatATerminalWouldRun(t *testing.T) {
	tests := []struct{ in, want string }{
		{"vps-1.vps.ovh.net", "vps-1.vps.ovh.net"},
		{"été.example", "été.example"},
		{"a\x1b[31mb", `a\x1b[31mb`},
		{"a\nb\tc", `a\nb\tc`},
		{"x\u202ey", `x\u202ey`},
		{"\u009b2J", `\u009b2J`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"zero\u200bwidth", `zero\u200bwidth`},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := printableLines("a.yaml:3: x\x1b\nb.yaml:4: y"); got != "a.yaml:3: x\\x1b\nb.yaml:4: y" {
		t.Errorf("printableLines kept or lost the wrong characters: %q", got)
	}
	var b strings.Builder
	if err := writeJSON(&b, map[string]string{"name": "a\x1b\u009b\u202e\u2028<b>&\U0001F600\U000E0041"}); err != nil {
		t.Fatal(err)
	}
	if want := `{
  "name": "a\u001b\u009b\u202e\u2028<b>&` + "\U0001F600" + `\udb40\udc41"
}
`; b.String() != want {
		t.Errorf("writeJSON = %q, want %q", b.String(), want)
	}
}

// TestTablesEscapeOutsideText: a service name from OVH holding a
// terminal's escape, a bell and a bidirectional override reaches the
// tables of plan, once and status escaped, never as the characters.
func TestTablesEscapeOutsideText(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	hostile := "evil\x1b]0;pwn\x07.vps.ovh.net\u202e"
	o.fake.AddService(ovhfake.ServiceFixture{ID: 1009, Name: hostile, Type: "vps", RenewMode: "manual", State: "ok",
		Expiration: renewd.DateOf(time.Now().UTC()).AddDays(3),
		Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{1009}, PriceUcents: 7 * renewd.UcentsPerUnit}}})
	for _, cmd := range []string{"plan", "once", "status", "history"} {
		_, out, errs := runCLI(t, cmd, "--config", o.config)
		if strings.ContainsAny(out+errs, "\x1b\x07\u202e") {
			t.Errorf("renewd %s prints a control or format character:\n%q", cmd, out+errs)
		}
		if cmd != "history" && !strings.Contains(out, printable(hostile)) {
			t.Errorf("renewd %s does not show the name escaped, %s:\n%s", cmd, printable(hostile), out)
		}
	}
}
