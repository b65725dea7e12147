package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

// credentialsDir makes a $CREDENTIALS_DIRECTORY holding every credential
// file the fixtures name, mode 0600, and returns it with a getenv that
// points there.
func credentialsDir(t *testing.T) (string, func(string) string) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"ovh-application-key", "ovh-application-secret", "ovh-consumer-key", "slack-bot-token", "slack-app-token"} {
		writeSecret(t, filepath.Join(dir, name), "canary-"+name+"\n", 0o600)
	}
	return dir, envWith(map[string]string{"CREDENTIALS_DIRECTORY": dir})
}

func envWith(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func writeSecret(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is masked by the umask
		t.Fatal(err)
	}
}

func TestLoadMinimal(t *testing.T) {
	c, err := Load("testdata/minimal.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Path = "testdata/minimal.yaml"
	want.Accounts = []Account{{Name: renewd.DefaultAccount, Endpoint: "ovh-eu", RateLimit: DefaultRateLimit, Burst: DefaultBurst, Concurrency: 4}}
	if diff := cmp.Diff(&want, c); diff != "" {
		t.Errorf("Load(minimal.yaml) mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadFull(t *testing.T) {
	cred, getenv := credentialsDir(t)
	c, err := Load("testdata/full.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	const ucent = 1                   // one micro-cent
	const unit = renewd.UcentsPerUnit // one euro
	want := &Config{
		Path:             "testdata/full.yaml",
		Schedule:         "CRON_TZ=Europe/Paris 0 4 * * *",
		Jitter:           10 * time.Minute,
		StateFile:        filepath.Join(testdata, "state/renewd.db"),
		ControlSocket:    "",
		Listen:           "127.0.0.1:9750",
		LogFormat:        "json",
		LogLevel:         "debug",
		ReportWithin:     45 * Day,
		DeliveryTimeout:  36 * time.Hour,
		HistoryRetention: 2 * 365 * Day,
		Accounts: []Account{
			{
				Name: "eu-main", Endpoint: "ovh-eu",
				AppKeyFile:      filepath.Join(cred, "ovh-application-key"),
				AppSecretFile:   filepath.Join(cred, "ovh-application-secret"),
				ConsumerKeyFile: filepath.Join(cred, "ovh-consumer-key"),
				RateLimit:       2.5, Burst: 10, Concurrency: 8,
			},
			{Name: "ca_2", Endpoint: "https://ca.api.ovh.com/1.0", RateLimit: DefaultRateLimit, Burst: DefaultBurst, Concurrency: 4},
		},
		Budget: &Budget{MonthlyUcents: 1234*unit + 56*unit/100, Currency: "EUR", Over: policy.OverCapApprove},
		Policy: policy.Policy{
			ReportWithin: 45 * Day,
			Rules: []policy.Rule{
				{
					Name:        "vps-quarterly",
					Match:       policy.Match{Account: "eu-main", Type: "vps", Name: "*.vps.ovh.net", ServiceIDs: []int64{12345, 67890}},
					Action:      policy.ActionRenew,
					RenewBefore: 14 * Day,
					Period:      renewd.Period{Months: 3},
					MaxPrice:    30*unit + 10*unit/100,
					OverCap:     policy.OverCapApprove,
					AllowBundle: true,
					Payment:     renewd.PaymentForm{MethodID: 1234},
					Approval:    policy.Approval{Mode: policy.ApprovalAbove, Above: 20*unit + 5*unit/1000},
				},
				{
					Name:        "domains",
					Match:       policy.Match{Type: "domain"},
					Action:      policy.ActionRenew,
					RenewBefore: 36 * time.Hour,
					Period:      renewd.Period{Years: 1},
					MaxPrice:    ucent,
					Payment:     renewd.PaymentForm{Mean: "paypal", MeanID: 42},
					Approval:    policy.Approval{Mode: policy.ApprovalAlways},
				},
				{
					Name:        "hosting",
					Match:       policy.Match{Account: "ca_2", Type: "hosting/web"},
					Action:      policy.ActionRenew,
					RenewBefore: 30 * Day,
					Period:      renewd.Period{Months: 12},
					MaxPrice:    15 * unit,
					Payment:     renewd.PaymentForm{Default: true},
				},
				{Name: "watch-dedicated", Match: policy.Match{Type: "dedicated/server"}, Action: policy.ActionNotify, RenewBefore: 21 * Day},
				{Name: "rest", Action: policy.ActionIgnore},
			},
		},
		Slack: &Slack{
			BotTokenFile:      filepath.Join(cred, "slack-bot-token"),
			AppTokenFile:      filepath.Join(cred, "slack-app-token"),
			Channel:           "C0123456789",
			Approvers:         []string{"U0123456789", "W0ABCDEF1"},
			Notify:            []string{NotifyFailures, NotifyApprovals, NotifyRenewals, NotifySummary},
			ApprovalTimeout:   48 * time.Hour,
			APIURL:            "http://127.0.0.1:8080/api/",
			DigestThreshold:   3,
			DigestList:        10,
			MaxSingleMessages: 8,
		},
		Inventory: Inventory{RefreshInterval: 14 * Day, HorizonMargin: 4 * Day},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Load(full.yaml) mismatch (-want +got):\n%s", diff)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() of a parsed config = %v", err)
	}

	creds, err := c.Accounts[0].LoadCredentials(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got := creds.AppSecret.Reveal(); got != "canary-ovh-application-secret" {
		t.Errorf("AppSecret = %q, want the file's line without its newline", got)
	}
	if creds, err := c.Accounts[1].LoadCredentials(getenv); err != nil || !creds.IsZero() {
		t.Errorf("LoadCredentials without files = %v, %v; want zero credentials", creds, err)
	}
	bot, app, err := c.Slack.LoadTokens(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if bot.Reveal() != "canary-slack-bot-token" || app.Reveal() != "canary-slack-app-token" {
		t.Errorf("LoadTokens gave the wrong tokens")
	}
}

// TestExampleConfig keeps config.example.yaml valid. The example leaves the
// credential files and the slack section commented out, so it validates on
// any machine.
func TestExampleConfig(t *testing.T) {
	c, err := Load("../../config.example.yaml", envWith(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Accounts) != 1 || c.Accounts[0].Name != renewd.DefaultAccount || c.Accounts[0].Endpoint != "ovh-eu" {
		t.Errorf("Accounts = %+v, want the one ovh-eu default account", c.Accounts)
	}
	if len(c.Policy.Rules) == 0 {
		t.Fatal("the example has no policy rule")
	}
	for _, r := range c.Policy.Rules {
		if r.Action == policy.ActionRenew && (r.MaxPrice <= 0 || r.Period.IsZero() || r.Payment.IsZero()) {
			t.Errorf("example rule %s renews without cap, period or payment: %+v", r.Name, r)
		}
	}
	def := Default()
	if c.Schedule != def.Schedule || c.Jitter != def.Jitter || c.LogFormat != def.LogFormat || c.LogLevel != def.LogLevel ||
		c.StateFile != def.StateFile || c.ControlSocket != def.ControlSocket || c.ControlGroup != def.ControlGroup ||
		c.ReportWithin != def.ReportWithin || c.DeliveryTimeout != def.DeliveryTimeout || c.HistoryRetention != def.HistoryRetention {
		t.Errorf("the example's values drifted from the defaults it documents: %+v", c)
	}
}

// TestExampleControlGroup parses config.example.yaml with its
// control_group set, as its comment says to, and with a bad one.
func TestExampleControlGroup(t *testing.T) {
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const line = `control_group: ""` + "\n"
	if !strings.Contains(string(example), line) {
		t.Fatalf("config.example.yaml has no %q line", line)
	}
	for _, tc := range []struct{ value, want, problem string }{
		{"renewd-ops", "renewd-ops", ""},
		{`"ops$"`, "ops$", ""},
		{`"ops\nINFO forged"`, "", "control_group"},
		{"-ops", "", "control_group"},
	} {
		cfg := strings.Replace(string(example), line, "control_group: "+tc.value+"\n", 1)
		c, err := Parse(strings.NewReader(cfg), "config.example.yaml", envWith(nil))
		if tc.problem != "" {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != tc.problem || errs[0].Line == 0 {
				t.Errorf("control_group %s: err = %v, want one problem on %s with its line", tc.value, err, tc.problem)
			}
			continue
		}
		if err != nil || c.ControlGroup != tc.want {
			t.Errorf("control_group %s: ControlGroup = %q, %v; want %q", tc.value, c.ControlGroup, err, tc.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	writeSecret(t, filepath.Join(dir, "key"), "k", 0o600)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"secret", "consumer"} {
		writeSecret(t, filepath.Join(sub, name), name, 0o600)
	}
	text := `
state_file: ledger.db
control_socket: run/ctl.sock
ovh:
  endpoint: ovh-eu
  application_key_file: key          # bare name, no $CREDENTIALS_DIRECTORY: the config's directory
  application_secret_file: sub/secret
  consumer_key_file: ` + filepath.Join(sub, "consumer") + `
`
	c, err := Parse(strings.NewReader(text), filepath.Join(dir, "config.yaml"), envWith(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.StateFile, c.ControlSocket, c.Accounts[0].AppKeyFile, c.Accounts[0].AppSecretFile, c.Accounts[0].ConsumerKeyFile}
	want := []string{filepath.Join(dir, "ledger.db"), filepath.Join(dir, "run/ctl.sock"), filepath.Join(dir, "key"), filepath.Join(sub, "secret"), filepath.Join(sub, "consumer")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resolved paths (-want +got):\n%s", diff)
	}

	// With $CREDENTIALS_DIRECTORY set, a bare name found there wins; one
	// not found there still falls back to the config's directory.
	cred := t.TempDir()
	writeSecret(t, filepath.Join(cred, "key"), "k", 0o600)
	c, err = Parse(strings.NewReader(text), filepath.Join(dir, "config.yaml"), envWith(map[string]string{"CREDENTIALS_DIRECTORY": cred}))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cred, "key"); c.Accounts[0].AppKeyFile != want {
		t.Errorf("AppKeyFile = %s, want %s", c.Accounts[0].AppKeyFile, want)
	}
}

func TestAccountByName(t *testing.T) {
	c := Default()
	c.Accounts = []Account{{Name: "a"}, {Name: "b", Endpoint: "ovh-ca"}}
	if a, ok := c.AccountByName("b"); !ok || a.Endpoint != "ovh-ca" {
		t.Errorf("AccountByName(b) = %+v, %v", a, ok)
	}
	if _, ok := c.AccountByName("c"); ok {
		t.Error("AccountByName(c) found an account that does not exist")
	}
}

// TestValidateInCode checks a Config built without a file: the errors carry
// no line, and missing values are named as required.
func TestValidateInCode(t *testing.T) {
	c := Default()
	if err := c.Validate(); err == nil || err.Error() != "ovh or accounts is required" {
		t.Errorf("Validate(Default()) = %v", err)
	}
	c.Accounts = []Account{defaultAccount("main")}
	c.Accounts[0].Endpoint = "ovh-eu"
	c.Policy.Rules = []policy.Rule{{Name: "r", Action: policy.ActionRenew, RenewBefore: Day, Period: renewd.Period{Months: 1}}}
	err := c.Validate()
	want := []string{
		"policies[0].max_price: is required for action renew: the price cap without tax, e.g. 30.00",
		"policies[0].payment: is required for action renew: exactly one of method_id: ID, mean: NAME (with mean_id: ID) or default: true",
	}
	if err == nil {
		t.Fatal("Validate() = nil, want the missing cap and payment")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("Validate() (-want +got):\n%s", diff)
	}
	c.Policy.Rules[0].MaxPrice = 1
	c.Policy.Rules[0].Payment.Default = true
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}

func TestSlackNotifies(t *testing.T) {
	s := Slack{Notify: []string{NotifyRenewals}}
	for kind, want := range map[string]bool{NotifyFailures: true, NotifyApprovals: true, NotifyRenewals: true, NotifySummary: false, NotifyUncovered: false} {
		if got := s.Notifies(kind); got != want {
			t.Errorf("Notifies(%s) = %v, want %v", kind, got, want)
		}
	}
}

func TestInventoryMarginFollowsTheSchedule(t *testing.T) {
	for _, tt := range []struct {
		schedule string
		jitter   time.Duration
		margin   time.Duration // horizon_margin given; 0: not given
		wantGap  time.Duration
		want     time.Duration
	}{
		{"@every 6h", 0, 0, 6 * time.Hour, DefaultHorizonMargin},
		{"@every 48h", 0, 0, 48 * time.Hour, 4 * Day},
		{"0 4 * * 1", 30 * time.Minute, 0, 7*Day + 30*time.Minute, 14*Day + time.Hour},
		{"0 4 1 * *", 0, 0, 31 * Day, 62 * Day},
		{"CRON_TZ=Europe/Paris 0 4 * * *", 0, 0, 25 * time.Hour, DefaultHorizonMargin}, // the autumn night is 25 hours
		{"@every 6h", 0, 5 * Day, 6 * time.Hour, 5 * Day},
	} {
		c := Default()
		c.Schedule, c.Jitter, c.Inventory.HorizonMargin = tt.schedule, tt.jitter, tt.margin
		if got := c.CycleGap(); got != tt.wantGap {
			t.Errorf("%s: CycleGap = %s, want %s", tt.schedule, got, tt.wantGap)
		}
		if got := c.HorizonMargin(); got != tt.want {
			t.Errorf("%s: HorizonMargin = %s, want %s", tt.schedule, got, tt.want)
		}
	}
	if c := Default(); c.Inventory.RefreshInterval != DefaultRefreshInterval {
		t.Errorf("default refresh_interval %s, want %s", c.Inventory.RefreshInterval, DefaultRefreshInterval)
	}
}
