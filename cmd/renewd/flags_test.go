package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// anywhereCase is one command line of TestFlagsBeforeOrAfterArguments:
// its positional arguments and its flags, each with its value.
type anywhereCase struct {
	cmd   string
	args  []string
	flags [][]string
	code  int
	// prepare, when set, gives each ordering a fresh rig in the same state
	// (the command changes the ledger) and the arguments to use there.
	prepare func(t *testing.T, r *daemonRig) []string
}

// TestFlagsBeforeOrAfterArguments runs every command with its flags
// before its arguments, after them, and around them: the exit code and the
// output are the same.
func TestFlagsBeforeOrAfterArguments(t *testing.T) {
	shared := newDaemonRig(t)
	if code, _, errs := shared.cli(t, "once"); code != exitNotDone {
		t.Fatalf("once: exit %d, want 1 (a refusal, two approvals held)\n%s", code, errs)
	}
	pending := func(t *testing.T, r *daemonRig) []string {
		_, out, _ := r.cli(t, "status", "--json")
		terms := pendingTerms(t, out)
		if len(terms) == 0 {
			t.Fatal("no term awaits approval")
		}
		return terms[:1]
	}
	fresh := func(wantPending bool) func(t *testing.T, r *daemonRig) []string {
		return func(t *testing.T, r *daemonRig) []string {
			if code, _, errs := r.cli(t, "once"); code != exitNotDone {
				t.Fatalf("once: exit %d\n%s", code, errs)
			}
			if wantPending {
				return pending(t, r)
			}
			return nil
		}
	}
	cfg := []string{"--config", "CONFIG"} // the config of the rig the line runs on
	held := pending(t, shared)[0]
	badGroup := func(t *testing.T, r *daemonRig) []string {
		body, err := os.ReadFile(r.cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(r.cfgPath, append([]byte("control_group: no-such-group-renewd\n"), body...), 0o600); err != nil {
			t.Fatal(err)
		}
		return nil
	}
	target := filepath.Join(t.TempDir(), "copy.db")
	cases := []anywhereCase{
		{cmd: "run", flags: [][]string{cfg, {"--log-format", "text"}, {"--log-level", "warn"}}, code: exitUsage, prepare: badGroup},
		{cmd: "run-now", flags: [][]string{cfg, {"--log-level=error"}}, code: exitNotDone},
		{cmd: "once", flags: [][]string{cfg, {"--json"}, {"--log-level", "error"}}, code: exitNotDone, prepare: fresh(false)},
		{cmd: "plan", flags: [][]string{cfg, {"--json"}, {"--log-format", "json"}}, code: exitOK},
		{cmd: "check-config", flags: [][]string{cfg, {"--log-level", "info"}}, code: exitOK},
		{cmd: "auth", flags: [][]string{cfg, {"--print"}, {"--account", "default"}}, code: exitOK},
		{cmd: "doctor", flags: [][]string{cfg, {"--sample", "2"}, {"--log-level", "error"}}, code: exitDoctorFail}, // the rig's vps-beta offers no P1M
		{cmd: "status", flags: [][]string{cfg, {"--json"}}, code: exitOK},
		{cmd: "history", flags: [][]string{cfg, {"--service", "1001"}, {"--limit=2"}, {"--json"}}, code: exitOK},
		{cmd: "history", flags: [][]string{{"--term", held}, cfg}, code: exitOK},
		{cmd: "approve", flags: [][]string{cfg, {"--by", "alice"}}, code: exitOK, prepare: fresh(true)},
		{cmd: "deny", flags: [][]string{{"--by", "bob"}, cfg}, code: exitOK, prepare: fresh(true)},
		{cmd: "backup", args: []string{target}, flags: [][]string{cfg, {"--log-level", "error"}}, code: exitOK},
		{cmd: "demo", flags: [][]string{{"--log-level", "error"}}, code: exitOK},
		{cmd: "completion", args: []string{"bash"}, flags: [][]string{{"--help"}}, code: exitOK},
		{cmd: "help", args: []string{"approve"}, flags: [][]string{{"-h"}}, code: exitOK},
		{cmd: "version", flags: [][]string{{"--help"}}, code: exitOK},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.cmd] = true
		t.Run(tc.cmd, func(t *testing.T) {
			var outs []string
			for _, order := range orderings(tc.args, tc.flags) {
				r := shared
				args := tc.args
				if tc.prepare != nil {
					r = newDaemonRig(t)
					if got := tc.prepare(t, r); got != nil {
						args = got
					}
				}
				line := append([]string{tc.cmd}, order(args)...)
				for i, w := range line {
					if w == "CONFIG" {
						line[i] = r.cfgPath
					}
				}
				os.Remove(target)
				code, out, errs := runIn(t, line)
				if code != tc.code {
					t.Fatalf("renewd %s: exit %d, want %d\n%s%s", strings.Join(line, " "), code, tc.code, out, errs)
				}
				outs = append(outs, normalize(out+errs, r))
			}
			for i := 1; i < len(outs); i++ {
				if outs[i] != outs[0] {
					t.Errorf("ordering %d differs from the first:\n%s\n---\n%s", i, outs[0], outs[i])
				}
			}
		})
	}
	for _, c := range commands() {
		if !c.hidden && !covered[c.name] {
			t.Errorf("renewd %s has no case here", c.name)
		}
	}
}

// orderings are the command lines of a case: flags before the arguments,
// after them, and (with two flags or more) the first before and the rest
// after.
func orderings(args []string, flags [][]string) []func([]string) []string {
	flat := func(fs [][]string) []string { return slices.Concat(fs...) }
	out := []func([]string) []string{
		func(a []string) []string { return slices.Concat(flat(flags), a) },
		func(a []string) []string { return slices.Concat(a, flat(flags)) },
	}
	if len(flags) > 1 {
		out = append(out, func(a []string) []string { return slices.Concat(flags[0], a, flat(flags[1:])) })
	}
	return out
}

// runIn runs renewd's command line in-process.
func runIn(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(t.Context(), args, func(string) string { return "" }, &out, &errb)
	return exitCode(err, &errb), out.String(), errb.String()
}

var (
	demoDir = regexp.MustCompile(`/[^ ]*renewd-demo-[0-9]+`)
	fakeURL = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)
	clock   = regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?( ?UTC|Z)`)
	took    = regexp.MustCompile(`"took":[0-9]+|took=[0-9.]+[a-zµ]+`)
)

// normalize takes out what differs between two rigs in the same state, or
// two runs a second apart: their directories, the fake OVH's address, the
// clock, how long a step took.
func normalize(s string, r *daemonRig) string {
	s = clock.ReplaceAllString(s, "TIME")
	s = took.ReplaceAllString(s, "took=DURATION")
	s = strings.ReplaceAll(s, r.dir, "DIR")
	s = strings.ReplaceAll(s, r.endpoint, "ENDPOINT")
	s = demoDir.ReplaceAllString(s, "DEMO_DIR")
	return fakeURL.ReplaceAllString(s, "FAKE")
}
