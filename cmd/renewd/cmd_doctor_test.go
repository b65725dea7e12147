package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// doctorPolicies fit the sample account as OVH offers it: the CLI tests'
// policies, after a rule for vps-beta, which OVH offers for P3M only, with
// a cap over the dedicated server's price, and a rule for the database.
var doctorPolicies = `  - name: vps-beta
    match: {type: vps, name: "vps-beta*"}
    action: renew
    renew_before: 14d
    period: P3M
    max_price: 30.00
    payment: {method_id: 9001}
` + strings.Replace(cliPolicies, "max_price: 50.00", "max_price: 100.00", 1) + `  - name: databases
    match: {type: hosting/privateDatabase}
    action: notify
    renew_before: 30d
`

// doctorCLI runs renewd doctor and checks it only read: no request to the
// fake OVH but GETs, no secret in what it printed.
func doctorCLI(t *testing.T, o *cliOVH, args ...string) (int, string, string) {
	t.Helper()
	before := o.fake.Requests()
	code, out, errs := runCLI(t, append([]string{"doctor", "--config", o.config}, args...)...)
	for route, n := range o.fake.Requests() {
		if !strings.HasPrefix(route, "GET ") && n != before[route] {
			t.Errorf("doctor made %d %s requests", n-before[route], route)
		}
	}
	for _, s := range o.secrets {
		if strings.Contains(out+errs, s) {
			t.Errorf("doctor printed a secret:\n%s%s", out, errs)
		}
	}
	return code, out, errs
}

func TestDoctorExitCodes(t *testing.T) {
	o := newCLIOVH(t, doctorPolicies)
	o.fake.SetCredentialRules(cliCreds[2], demoRules())

	code, out, errs := doctorCLI(t, o)
	if code != exitDoctorWarn || !strings.Contains(out, "! account default: renewal order lines") {
		t.Errorf("before any order: exit %d, want 1 (nothing to read the lines of)\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "once", "--config", o.config); code != 0 {
		t.Fatalf("once: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = doctorCLI(t, o)
	if code != 0 || !strings.Contains(out, "checks passed.") || !strings.Contains(out, "✓ ledger ") {
		t.Errorf("after a cycle: exit %d, want 0\n%s%s", code, out, errs)
	}

	o.fake.SetCredentialRules(cliCreds[2], nil) // the console's default: every write
	code, out, _ = doctorCLI(t, o)
	if code != exitDoctorWarn || !strings.Contains(out, `grants writes renewd never makes: "POST /*", "PUT /*", "DELETE /*"`) {
		t.Errorf("with every right: exit %d, want 1\n%s", code, out)
	}

	bad := newCLIOVH(t, cliPolicies) // vps: P1M, which vps-beta does not offer
	code, out, _ = doctorCLI(t, bad)
	if code != exitDoctorFail || !strings.Contains(out, "✗ policy vps: period P1M: not offered") {
		t.Errorf("a period not offered: exit %d, want 2\n%s", code, out)
	}
}

// TestDoctorJSONTellsAFailureFromAUsageError: both exit 2; a doctor that
// ran prints its JSON report, a usage error prints nothing on stdout.
func TestDoctorJSONTellsAFailureFromAUsageError(t *testing.T) {
	o := newCLIOVH(t, doctorPolicies)
	code, out, errs := doctorCLI(t, o, "--json")
	var rep struct {
		Version int    `json:"version"`
		Renewd  string `json:"renewd"`
		Status  string `json:"status"`
		Checks  []struct{ ID, Status, Title, Detail, Fix string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s%s", err, out, errs)
	}
	if rep.Version != 1 || rep.Renewd == "" || rep.Status != "warn" || code != exitDoctorWarn || len(rep.Checks) < 30 {
		t.Errorf("--json: exit %d, %+v", code, rep)
	}

	broken := filepath.Join(o.dir, "broken.yaml")
	good, _ := os.ReadFile(o.config)
	if err := os.WriteFile(broken, append(good, []byte("colour: blue\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "doctor", "--json", "--config", broken)
	rep.Checks = nil
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitDoctorFail || rep.Status != "fail" ||
		len(rep.Checks) != 1 || rep.Checks[0].ID != "config" || !strings.Contains(rep.Checks[0].Detail, "colour") {
		t.Errorf("a broken config: exit %d, %v, %+v", code, err, rep)
	}
	code, out, errs = runCLI(t, "doctor", "--json", "--config", o.config, "--frobnicate")
	if code != exitUsage || out != "" || errs == "" {
		t.Errorf("a usage error: exit %d, stdout %q", code, out)
	}
	if code, out, _ = runCLI(t, "doctor", "--config", o.config, "--sample", "0"); code != exitUsage || out != "" {
		t.Errorf("--sample 0: exit %d, stdout %q", code, out)
	}
}
