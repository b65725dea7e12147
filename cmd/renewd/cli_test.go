package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/ovhfake"
)

// cliOVH is a fake OVH with the sample account, and a config pointing at it.
type cliOVH struct {
	fake    *ovhfake.Fake
	dir     string
	config  string
	secrets []string
}

// cliCreds are canaries: if one shows up in any output, a secret leaked.
var cliCreds = [3]string{"AK-canary-7f3a", "AS-canary-secret-91c2", "CK-canary-consumer-5d8e"}

func newCLIOVH(t *testing.T, policies string) *cliOVH {
	t.Helper()
	ovhfake.IsolateEnv(t)
	fake := ovhfake.New(ovhfake.SampleScenario(time.Now().UTC()), ovhfake.Options{
		AppKey: cliCreds[0], AppSecret: cliCreds[1], ConsumerKey: cliCreds[2],
	})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	for i, name := range []string{"ak", "as", "ck"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(cliCreds[i]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`schedule: "@every 6h"
state_file: %[1]s/renewd.db
control_socket: ""
ovh:
  endpoint: %[2]s/1.0
  application_key_file: %[1]s/ak
  application_secret_file: %[1]s/as
  consumer_key_file: %[1]s/ck
  rate_limit: 100
policies:
%[3]s`, dir, srv.URL, policies)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliOVH{fake: fake, dir: dir, config: path, secrets: cliCreds[1:]}
}

// The sample account's policies, as in the demo, without approvals.
const cliPolicies = `  - name: vps
    match: {type: vps}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: 10.00
    payment: {method_id: 9001}
  - name: domains
    match: {type: domain}
    action: renew
    renew_before: 30d
    period: P1Y
    max_price: 15.00
    payment: {mean: paypal, mean_id: 777}
  - name: hosting
    match: {type: hosting/web}
    action: renew
    renew_before: 30d
    period: P1Y
    max_price: 60.00
    payment: {default: true}
  - name: dedicated
    match: {type: dedicated/server}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: 50.00
    payment: {method_id: 9001}
`

// runCLI runs renewd's command line in-process and returns its exit code.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, os.Getenv, &out, &errb)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

func TestPlanShowsEveryServiceAndOrdersNothing(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	code, out, errs := runCLI(t, "plan", "--config", o.config)
	if code != 0 {
		t.Fatalf("plan exit %d, stderr:\n%s", code, errs)
	}
	want := map[string]string{
		"vps-alpha.vps.ovh.net": "renew",
		"vps-beta.vps.ovh.net":  "nothing",
		"vps-gamma.vps.ovh.net": "report",
		"ns123456.ip-1-2-3.eu":  "refuse",
		"legacy-db.example.net": "report",
		"example.org":           "renew",
	}
	for name, would := range want {
		line := lineWith(out, name)
		if line == "" || !strings.Contains(line, would) {
			t.Errorf("plan row for %s = %q, want it to say %q", name, line, would)
		}
	}
	if n := len(o.fake.Orders()); n != 0 {
		t.Errorf("plan created %d orders, want none", n)
	}
	if n := len(o.fake.Payments()); n != 0 {
		t.Errorf("plan paid %d times, want never", n)
	}
}

func TestPlanSurvives5xxThenSuccess(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	o.fake.Inject(ovhfake.Fault{Route: "GET /services", Status: 503, Times: 1})
	code, out, errs := runCLI(t, "plan", "--config", o.config)
	if code != 0 || !strings.Contains(out, "vps-alpha.vps.ovh.net") {
		t.Fatalf("plan exit %d after one 503, stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

func TestPlanMalformedJSONIsAClearError(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	o.fake.Inject(ovhfake.Fault{Route: "*", Status: 200, Body: "{not json", Times: -1})
	code, _, errs := runCLI(t, "plan", "--config", o.config)
	if code != exitNotDone {
		t.Fatalf("plan exit %d on malformed JSON, want %d; stderr:\n%s", code, exitNotDone, errs)
	}
	if !strings.Contains(errs, "decode") || strings.Contains(errs, "panic") {
		t.Errorf("stderr does not name a decode error clearly:\n%s", errs)
	}
}

func TestCheckConfig(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	broken := filepath.Join(o.dir, "broken.yaml")
	good, _ := os.ReadFile(o.config)
	if err := os.WriteFile(broken, append(good, []byte("colour: blue\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	leaky := filepath.Join(o.dir, "leaky.yaml")
	if err := os.WriteFile(filepath.Join(o.dir, "as-open"), []byte(cliCreds[1]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leaky, []byte(strings.Replace(string(good), o.dir+"/as", o.dir+"/as-open", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		code       int
		want       string
	}{
		{"valid", o.config, 0, "ok"},
		{"unknown key", broken, exitUsage, broken + ":"},
		{"secret readable by others", leaky, exitUsage, "readable by others"},
		{"missing file", filepath.Join(o.dir, "nope.yaml"), exitUsage, "nope.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "check-config", "--config", tt.path)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Errorf("exit %d, output %q; want exit %d and %q", code, out+errs, tt.code, tt.want)
			}
			if strings.Contains(out+errs, cliCreds[1]) {
				t.Errorf("the secret leaked: %q", out+errs)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"plan", "--nope"}, {"approve"}, {"plan", "extra"}} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("renewd %q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestOnceExitCodesAndNoSecretInOutput runs cycles through faults and
// failures, in text and JSON logs, and greps every byte renewd wrote for the
// canary credentials.
func TestOnceExitCodesAndNoSecretInOutput(t *testing.T) {
	o := newCLIOVH(t, cliPolicies)
	o.fake.Inject(ovhfake.Fault{Route: "POST /me/order/{id}/pay", StatusAfterWork: 500, Times: 1})
	o.fake.Inject(ovhfake.Fault{Route: "POST /service/{id}/renew", DropAfterWork: true, Times: 1})
	var all strings.Builder
	code, out, errs := runCLI(t, "once", "--config", o.config)
	all.WriteString(out + errs)
	if code != exitNotDone {
		t.Errorf("first once: exit %d, want 1 (the dedicated server is over its cap)\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "once", "--config", o.config, "--log-format", "json", "--json")
	all.WriteString(out + errs)
	if code != exitNotDone {
		t.Errorf("second once: exit %d, want 1", code)
	}
	code, out, errs = runCLI(t, "history", "--config", o.config, "--json")
	all.WriteString(out + errs)
	if code != 0 {
		t.Errorf("history: exit %d: %s", code, errs)
	}

	// Wrong credentials: the error must not carry them either.
	if err := os.WriteFile(filepath.Join(o.dir, "as"), []byte("AS-canary-wrong-0b7e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "plan", "--config", o.config)
	all.WriteString(out + errs)
	if code == 0 {
		t.Errorf("plan with a wrong secret succeeded")
	}
	for _, s := range append(o.secrets, "AS-canary-wrong-0b7e") {
		if strings.Contains(all.String(), s) {
			t.Fatalf("secret %q leaked into renewd's output:\n%s", s, all.String())
		}
	}

	paid := map[int64]int{}
	for _, p := range o.fake.Payments() {
		paid[p.OrderID]++
	}
	for id, n := range paid {
		if n > 1 {
			t.Errorf("order %d paid %d times", id, n)
		}
	}
	perService := map[int64]int{}
	for _, ord := range o.fake.Orders() {
		perService[ord.ServiceID]++
	}
	for id, n := range perService {
		if n > 1 {
			t.Errorf("service %d got %d orders", id, n)
		}
	}
}

func lineWith(text, sub string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, " "+sub+" ") {
			return l
		}
	}
	return ""
}

// TestDemo runs `renewd demo` as the README's first command does and checks
// its story against its own output: plan orders nothing, the second cycle
// pays nothing, the approved renewal is paid, and no service is paid twice.
func TestDemo(t *testing.T) {
	ovhfake.IsolateEnv(t)
	code, out, errs := runCLI(t, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	second := out[strings.Index(out, "second cycle"):strings.Index(out, "== renewd approve")]
	third := out[strings.Index(out, "third cycle"):]
	// The approval is recorded under the user running the demo, with the
	// demo's --by as a note.
	approver, err := control.DecisionActor(uint32(os.Getuid()), "demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ in, text string }{
		{out, "== renewd doctor"},
		{out, "✓ account default: consumer key rules"},
		{out, "✗ policy vps-monthly: period P1M: not offered"},
		{out, "every one a GET"},
		{out, "Orders at OVH after plan: 0"},
		{out, "[Approve] [Deny]"},
		{third, "Renewed example.org (domain) for P1Y at 9.99 EUR"},
		{third, "Approved by " + approver + " — paid"},
		{out, "4 orders, 4 payments"},
		{out, "Checked on the fake's record: no service was paid twice."},
	} {
		if !strings.Contains(want.in, want.text) {
			t.Errorf("demo output lacks %q:\n%s", want.text, out)
		}
	}
	if strings.Contains(second, "*Renewed ") {
		t.Errorf("the second cycle renewed something:\n%s", second)
	}
}
