package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/ovhfake"
)

// callLine is the text form of the OVH client's per-call debug line.
var callLine = regexp.MustCompile(`level=DEBUG msg="ovh call" account=default method=(GET|POST) route=/\S+ path=/\S+ status=(\d+) duration=\S+ query_id=(\S*)`)

// TestLogLevelDebugShowsOVHCallsAndNoSecret runs `once` and `plan` with
// canary credentials and a fault on each money route, at --log-level debug
// and at the config's log_level, and checks that debug shows every OVH call
// with its status and query id, that info shows none, and that no level
// prints a secret.
func TestLogLevelDebugShowsOVHCallsAndNoSecret(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		configLine string // prepended to the config
		wantCalls  bool
	}{
		{"once --log-level debug", []string{"once", "--log-level", "debug"}, "", true},
		{"plan --log-level debug --log-format json", []string{"plan", "--log-level", "debug", "--log-format", "json"}, "", true},
		{"once, log_level debug in the config", []string{"once"}, "log_level: debug\n", true},
		{"once, the flag over the config", []string{"once", "--log-level", "info"}, "log_level: debug\n", false},
		{"once at the default level", []string{"once"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newCLIOVH(t, cliPolicies)
			o.fake.Inject(ovhfake.Fault{Route: "POST /me/order/{id}/pay", StatusAfterWork: 500, Times: 1})
			o.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}/renew", Status: 500, Times: 1})
			if tt.configLine != "" {
				body, err := os.ReadFile(o.config)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(o.config, append([]byte(tt.configLine), body...), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := append(tt.args, "--config", o.config)
			_, out, errs := runCLI(t, args...)
			all := out + errs
			for _, s := range o.secrets {
				if strings.Contains(all, s) {
					t.Fatalf("secret %q in the output:\n%s", s, all)
				}
			}
			var calls []string
			if strings.Contains(strings.Join(tt.args, " "), "json") {
				calls = regexp.MustCompile(`"msg":"ovh call".*"method":"(GET|POST)".*"status":(\d+).*"query_id":"([^"]*)"`).FindAllString(errs, -1)
			} else {
				calls = callLine.FindAllString(errs, -1)
			}
			if !tt.wantCalls {
				if strings.Contains(errs, "ovh call") {
					t.Errorf("OVH calls logged below debug:\n%s", errs)
				}
				return
			}
			if len(calls) < 5 {
				t.Fatalf("%d OVH call lines, want one per call:\n%s", len(calls), errs)
			}
			var sawError, sawQueryID bool
			for _, c := range calls {
				sawError = sawError || strings.Contains(c, "status=500") || strings.Contains(c, `"status":500`)
				sawQueryID = sawQueryID || strings.Contains(c, "FAKE.")
			}
			if !sawError || !sawQueryID {
				t.Errorf("call lines show a 500: %v, a query id: %v; want both:\n%s", sawError, sawQueryID, strings.Join(calls, "\n"))
			}
		})
	}
}

// TestLogLevelFlagIsStrict: every command that takes --log-level refuses a
// level that is not one of the four, before doing anything, with a usage
// error naming the flag; --log-level= leaves the level to the config.
func TestLogLevelFlagIsStrict(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	for _, cmd := range []string{"plan", "once", "check-config", "status", "history", "run-now", "run"} {
		for _, bad := range []string{"DEBUG", "verbose", "warning"} {
			code, _, errs := runCLI(t, cmd, "--config", o.config, "--log-level", bad)
			if code != exitUsage || !strings.Contains(errs, `invalid argument "`+bad+`" for "--log-level" flag: "`+bad+`" is not debug, info, warn or error`) {
				t.Errorf("%s --log-level %s: exit %d, stderr %q; want exit %d naming the flag", cmd, bad, code, errs, exitUsage)
			}
		}
	}
	if code, _, errs := runCLI(t, "plan", "--config", o.config, "--log-level="); code != 0 {
		t.Errorf("plan --log-level= : exit %d, want 0 (the config decides): %s", code, errs)
	}
	if n := len(o.fake.Orders()); n != 0 {
		t.Errorf("%d orders: a command with a bad flag went on", n)
	}
}
