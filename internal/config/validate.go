package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

// Bounds of the settings that have one.
const (
	MaxJitter           = time.Hour
	MaxRenewBefore      = 365 * Day
	MinHistoryRetention = 30 * Day
	MinScheduleInterval = time.Minute
	MaxConcurrency      = 64
	maxSocketPath       = 107 // sun_path holds 108 bytes with the final NUL
)

// endpointAliases are go-ovh v1.9.0's ovh.Endpoints names.
var endpointAliases = []string{"ovh-eu", "ovh-ca", "ovh-us", "kimsufi-eu", "kimsufi-ca", "soyoustart-eu", "soyoustart-ca"}

var (
	accountNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	currencyRE    = regexp.MustCompile(`^[A-Z]{3}$`)
	channelRE     = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)
	userRE        = regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`)
	groupNameRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?$`)
	serviceTypeRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)
)

// Validate checks every value of the config and the credential files it
// names (presence, kind, permissions and shape, never printing their
// content). Parse runs it; a Config built in code can be checked with it,
// and its errors then carry no line. It returns Errors listing every
// problem, or nil.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.validate()
	if len(v.errs) > 0 {
		return v.errs.sorted()
	}
	return nil
}

// validator checks a decoded Config. pos (nil for a Config built in code)
// gives the lines; failed lists the fields the decoder already reported.
type validator struct {
	c      *Config
	pos    positions
	failed map[string]bool
	errs   Errors
}

// failf records a problem unless the decoder already reported one on the
// field, inside it, or around it.
func (v *validator) failf(field, format string, args ...any) {
	if v.decodeFailed(field) {
		return
	}
	v.errs = append(v.errs, &ConfigError{Path: v.c.Path, Line: v.pos.line(field), Field: field, Err: fmt.Errorf(format, args...)})
}

// decodeFailed reports whether the decoder reported a problem on the field,
// inside it or around it.
func (v *validator) decodeFailed(field string) bool {
	for f := range v.failed {
		if related(f, field) {
			return true
		}
	}
	return false
}

// given reports whether the file gives the field. Without positions (a
// Config built in code) nothing counts as given.
func (v *validator) given(field string) bool {
	_, ok := v.pos[field]
	return ok
}

func (v *validator) validate() {
	v.general()
	v.accounts()
	v.budget()
	v.rules()
	v.slack()
	v.approvals()
	v.inventory()
}

func (v *validator) general() {
	c := v.c
	if err := checkSchedule(c.Schedule); err != nil {
		v.failf("schedule", "%w", err)
	}
	switch {
	case c.Jitter < 0:
		v.failf("jitter", "must not be negative")
	case c.Jitter > MaxJitter:
		v.failf("jitter", "%s is over the %s maximum", formatWindow(c.Jitter), formatWindow(MaxJitter))
	}
	if c.StateFile == "" {
		v.failf("state_file", "must name the ledger file")
	}
	if n := len(c.ControlSocket); n > maxSocketPath {
		v.failf("control_socket", "is too long for a unix socket (%d bytes, at most %d)", n, maxSocketPath)
	}
	if c.ControlGroup != "" && !groupNameRE.MatchString(c.ControlGroup) {
		v.failf("control_group", "%q is not a group name (letters, digits, '_', '-', '.', at most 32, not starting with '-')", c.ControlGroup)
	}
	if c.Listen != "" {
		if err := checkListen(c.Listen); err != nil {
			v.failf("listen", "%w", err)
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		v.failf("log_format", "%q is not text or json", c.LogFormat)
	}
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		v.failf("log_level", "%w", err)
	}
	if c.ReportWithin < 0 {
		v.failf("report_within", "must not be negative")
	}
	if c.Policy.ReportWithin != c.ReportWithin {
		v.failf("report_within", "Policy.ReportWithin (%s) differs from ReportWithin (%s)", c.Policy.ReportWithin, c.ReportWithin)
	}
	if c.DeliveryTimeout <= 0 {
		v.failf("delivery_timeout", "must be greater than 0")
	}
	if c.HistoryRetention < MinHistoryRetention {
		v.failf("history_retention", "%s is under the %s minimum (m is minutes; write 90d for three months)", formatWindow(c.HistoryRetention), formatWindow(MinHistoryRetention))
	}
}

// checkSchedule parses a cron spec as the scheduler will, refusing what
// robfig/cron would panic on or run more than once a minute.
func checkSchedule(spec string) error {
	if spec == "" {
		return fmt.Errorf("is required: a cron spec such as %q or \"0 4 * * *\"", DefaultSchedule)
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		if _, rest, _ := strings.Cut(spec, " "); strings.TrimSpace(rest) == "" {
			return fmt.Errorf("%q names a time zone but no schedule after it", spec)
		}
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("%q is not a cron spec (5 fields, or @daily, @every 6h...): %w", spec, err)
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok && every.Delay < MinScheduleInterval {
		return fmt.Errorf("%q runs more often than once a minute", spec)
	}
	return nil
}

func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port such as 127.0.0.1:9750", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q has no port between 1 and 65535", addr)
	}
	return nil
}

// accountField is where account i is in the file: `ovh` or `accounts[i]`.
func (v *validator) accountField(i int) string {
	if v.given("ovh") {
		return "ovh"
	}
	return fmt.Sprintf("accounts[%d]", i)
}

func (v *validator) accounts() {
	if len(v.c.Accounts) == 0 {
		switch {
		case v.given("accounts"):
			v.failf("accounts", "must list at least one account")
		case !v.decodeFailed("ovh") && !v.decodeFailed("accounts"):
			v.failf("", "ovh or accounts is required")
		}
		return
	}
	seen := map[string]int{}
	for i, a := range v.c.Accounts {
		f := v.accountField(i)
		switch {
		case !accountNameRE.MatchString(a.Name):
			v.failf(f+".name", "%q is not an account name: lowercase letters, digits, - and _, starting with a letter or digit", a.Name)
		case seen[a.Name] > 0:
			v.failf(f+".name", "%q is already the name of accounts[%d]", a.Name, seen[a.Name]-1)
		default:
			seen[a.Name] = i + 1
		}
		if err := checkEndpoint(a.Endpoint); err != nil {
			v.failf(f+".endpoint", "%w", err)
		}
		if a.RateLimit <= 0 {
			v.failf(f+".rate_limit", "must be greater than 0 (requests per second)")
		}
		if a.Burst < 1 {
			v.failf(f+".burst", "must be at least 1")
		}
		if a.Concurrency < 1 || a.Concurrency > MaxConcurrency {
			v.failf(f+".concurrency", "must be between 1 and %d", MaxConcurrency)
		}
		files := []struct{ key, path string }{
			{"application_key_file", a.AppKeyFile},
			{"application_secret_file", a.AppSecretFile},
			{"consumer_key_file", a.ConsumerKeyFile},
		}
		switch a.credentialFiles() {
		case 0:
		case 3:
			for _, file := range files {
				v.secretFile(f+"."+file.key, file.path)
			}
		default:
			var missing []string
			for _, file := range files {
				if file.path == "" {
					missing = append(missing, file.key)
				}
			}
			v.failf(f, "the three credential files go together: set %s too, or none of them (go-ovh then reads OVH_* variables or ovh.conf)", strings.Join(missing, " and "))
		}
	}
}

func checkEndpoint(e string) error {
	if e == "" {
		return fmt.Errorf("is required: %s, or the API's URL", strings.Join(endpointAliases, ", "))
	}
	if slices.Contains(endpointAliases, e) {
		return nil
	}
	if !strings.Contains(e, "://") {
		return fmt.Errorf("%q is not an endpoint alias (%s) or an http(s) URL", e, strings.Join(endpointAliases, ", "))
	}
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an http(s) URL such as https://eu.api.ovh.com/1.0", e)
	}
	if strings.HasSuffix(e, "/") {
		return fmt.Errorf("%q ends with a slash; write it without, as in https://eu.api.ovh.com/1.0", e)
	}
	return nil
}

// secretFile checks a credential file as LoadCredentials will read it.
func (v *validator) secretFile(field, path string) {
	if _, err := readSecretFile(path); err != nil {
		v.failf(field, "%w", err)
	}
}

func (v *validator) budget() {
	b := v.c.Budget
	if b == nil {
		return
	}
	switch {
	case b.MonthlyUcents < 0 || b.MonthlyUcents == 0 && v.given("budget.monthly"):
		v.failf("budget.monthly", "must be greater than 0, not %s", renewd.FormatAmount(b.MonthlyUcents))
	case b.MonthlyUcents == 0:
		v.failf("budget.monthly", "is required: the monthly spending cap without tax, e.g. 500.00")
	}
	if !currencyRE.MatchString(b.Currency) {
		if b.Currency == "" {
			v.failf("budget.currency", "is required: the ISO 4217 code of the budget's currency, e.g. EUR")
		} else {
			v.failf("budget.currency", "%q is not an ISO 4217 currency code such as EUR", b.Currency)
		}
	}
}

func (v *validator) slack() {
	s := v.c.Slack
	if s == nil {
		return
	}
	if s.BotTokenFile == "" {
		v.failf("slack.bot_token_file", "is required: the file holding the bot token (xoxb-...)")
	} else {
		v.secretFile("slack.bot_token_file", s.BotTokenFile)
	}
	if s.AppTokenFile != "" {
		v.secretFile("slack.app_token_file", s.AppTokenFile)
	}
	switch {
	case s.Channel == "":
		v.failf("slack.channel", "is required: the id of the channel reports go to, such as C0123456789")
	case !channelRE.MatchString(s.Channel):
		v.failf("slack.channel", "%q is not a Slack channel id such as C0123456789 (a channel name will not do)", s.Channel)
	}
	for i, u := range s.Approvers {
		if !userRE.MatchString(u) {
			v.failf(fmt.Sprintf("slack.approvers[%d]", i), "%q is not a Slack user id such as U0123456789", u)
		}
	}
	for _, k := range s.Notify {
		if !slices.Contains(notifyKinds, k) {
			v.failf("slack.notify", "%q is not one of %s", k, strings.Join(notifyKinds, ", "))
		}
	}
	if s.ApprovalTimeout <= 0 {
		v.failf("slack.approval_timeout", "must be greater than 0")
	}
	u, err := url.Parse(s.APIURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.failf("slack.api_url", "%q is not an http(s) URL such as %s", s.APIURL, DefaultSlackAPIURL)
	case !strings.HasSuffix(s.APIURL, "/"):
		v.failf("slack.api_url", "%q must end with a slash, as in %s", s.APIURL, DefaultSlackAPIURL)
	}
	if s.DigestThreshold < 1 {
		v.failf("slack.digest_threshold", "must be at least 1, not %d", s.DigestThreshold)
	}
	if s.DigestList < 1 || s.DigestList > MaxDigestList {
		v.failf("slack.digest_list", "must be from 1 to %d (a digest must fit one Slack message), not %d", MaxDigestList, s.DigestList)
	}
	if s.MaxSingleMessages < 1 {
		v.failf("slack.max_single_messages", "must be at least 1, not %d", s.MaxSingleMessages)
	}
}

// approvals checks that a renewal held for approval can be approved: by
// Slack approvers, or through the control socket (renewd approve).
func (v *validator) approvals() {
	var field, what string
	for i, r := range v.c.Policy.Rules {
		if r.Action != policy.ActionRenew {
			continue
		}
		f := fmt.Sprintf("policies[%d]", i)
		switch {
		case r.Approval.Mode != policy.ApprovalNever:
			field, what = f+".approval", fmt.Sprintf("rule %s asks for approval (%s.approval)", r.Name, f)
		case r.OverCap == policy.OverCapApprove:
			field, what = f+".over_cap", fmt.Sprintf("rule %s holds renewals over its cap for approval (%s.over_cap)", r.Name, f)
		default:
			continue
		}
		break
	}
	if field == "" && v.c.Budget != nil && v.c.Budget.Over == policy.OverCapApprove {
		field, what = "budget.over", "the budget holds renewals over it for approval (budget.over)"
	}
	if field == "" {
		return
	}
	s := v.c.Slack
	switch {
	case s == nil && v.c.ControlSocket == "":
		v.failf(field, "nobody could approve: configure slack with approvers, or keep control_socket for renewd approve")
	case s == nil:
	default:
		if len(s.Approvers) == 0 {
			v.failf("slack.approvers", "is required: %s", what)
		}
		if s.AppTokenFile == "" {
			v.failf("slack.app_token_file", "is required: %s, and Slack approvals arrive over Socket Mode", what)
		}
	}
}
