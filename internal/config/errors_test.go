package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The base of most broken configs below, valid as it stands:
//
//	1 ovh:
//	2   endpoint: ovh-eu
//	3 policies:
//	4   - name: vps
//	5     match: {type: vps}
//	6     action: renew
//	7     renew_before: 14d
//	8     period: P3M
//	9     max_price: 30.00
//	10    payment: {default: true}
const validBase = `ovh:
  endpoint: ovh-eu
policies:
  - name: vps
    match: {type: vps}
    action: renew
    renew_before: 14d
    period: P3M
    max_price: 30.00
    payment: {default: true}
`

// TestParseErrors feeds broken configs to Parse and expects exactly these
// error lines, "LINE: field: reason" after the file name. $CRED stands for
// the credentials directory, which holds ovh-* and slack-* files (0600) and
// world-readable (0644).
func TestParseErrors(t *testing.T) {
	cred, getenv := credentialsDir(t)
	writeSecret(t, filepath.Join(cred, "world-readable"), "canary-world-readable", 0o644)
	writeSecret(t, filepath.Join(cred, "group-writable"), "canary-group-writable", 0o620)
	writeSecret(t, filepath.Join(cred, "two-lines"), "canary-line-one\ncanary-line-two\n", 0o600)
	writeSecret(t, filepath.Join(cred, "blank"), " \n", 0o400)
	const path = "/etc/renewd/config.yaml"

	tests := []struct {
		name string
		text string
		want []string
	}{
		{"valid base", validBase, nil},
		{"empty file", "", []string{`the file is empty`}},
		{"comments only", "# nothing yet\n", []string{`the file is empty`}},
		{"bad YAML", "ovh:\n  endpoint: [ovh-eu\n", []string{`2: bad YAML: did not find expected ',' or ']'`}},
		{"bad YAML indentation", "ovh:\n  endpoint: ovh-eu\n policies: []\n", []string{`3: bad YAML: did not find expected key`}},
		{"bad YAML on the first line", "ovh: [\n", []string{`1: bad YAML: did not find expected node content`}},
		{"bad YAML found by the scanner", "ovh:\n  endpoint: 'ovh-eu\n", []string{`2: bad YAML: found unexpected end of stream`}},
		{"not a mapping", "- ovh\n", []string{`1: the config must be a mapping of settings (key: value), not a list`}},
		{"two documents", "ovh: {endpoint: ovh-eu}\n---\nslack: {}\n", []string{`2: more than one YAML document; the config is one`}},
		{"unknown key at the top", "schedul: '@daily'\n" + validBase, []string{`1: schedul: unknown key; did you mean schedule?`}},
		{"a period OVH does not offer", strings.Replace(validBase, "    period: P3M\n", "    period: P2M\n", 1),
			[]string{`8: policies[0].period: P2M is not a renewal period OVH offers (service.renew.Interval: P1M, P3M, P6M, P1Y, P2Y, P3Y)`}},
		{"P12M is P1Y, which OVH offers", strings.Replace(validBase, "    period: P3M\n", "    period: P12M\n", 1), nil},
		{"unknown key in a policy", strings.Replace(validBase, "    period: P3M\n", "    period: P3M\n    colour: blue\n", 1),
			[]string{`9: policies[0].colour: unknown key (known keys: action, allow_bundle, approval, match, max_price, name, over_cap, payment, period, renew_before)`}},
		{"misspelt required key", strings.Replace(validBase, "renew_before:", "renew_befor:", 1), []string{
			`4: policies[0].renew_before: is required for action renew: how long before expiry it is due, e.g. 14d`,
			`7: policies[0].renew_befor: unknown key; did you mean renew_before?`,
		}},
		{"duplicate key", strings.Replace(validBase, "    max_price: 30.00\n", "    max_price: 30.00\n    period: P1Y\n", 1),
			[]string{`10: policies[0].period: duplicate key (first at line 8)`}},
		{"bad period", strings.Replace(validBase, "P3M", "P3X", 1),
			[]string{`8: policies[0].period: "P3X" is not an ISO 8601 period such as P1M, P3M or P1Y`}},
		{"empty period", strings.Replace(validBase, "P3M", "P0M", 1), []string{`8: policies[0].period: "P0M" is an empty period`}},
		{"period over 10 years", strings.Replace(validBase, "P3M", "P1Y99999999999999999999M", 1), []string{`8: policies[0].period: "P1Y99999999999999999999M" is too long a period`}},
		{"period of 11 years", strings.Replace(validBase, "P3M", "P11Y", 1), []string{`8: policies[0].period: "P11Y" is longer than 10 years`}},
		{"bad duration", strings.Replace(validBase, "14d", "14days", 1),
			[]string{`7: policies[0].renew_before: "14days" is not a duration such as 14d, 36h, 90m, 2w or P14D`}},
		{"duration in months", strings.Replace(validBase, "14d", "P1M", 1),
			[]string{`7: policies[0].renew_before: "P1M" counts months, which have no fixed length; write days, e.g. P30D or 30d`}},
		{"renew_before over a year", strings.Replace(validBase, "14d", "366d", 1), []string{`7: policies[0].renew_before: 366d is over the 1y maximum`}},
		{"renew_before zero", strings.Replace(validBase, "14d", "0", 1), []string{`7: policies[0].renew_before: must be greater than 0`}},
		{"negative cap", strings.Replace(validBase, "30.00", "-5", 1), []string{`9: policies[0].max_price: must be greater than 0, not -5.00`}},
		{"zero cap on renew", strings.Replace(validBase, "30.00", "0.00", 1), []string{`9: policies[0].max_price: must be greater than 0, not 0.00`}},
		{"missing cap on renew", strings.Replace(validBase, "    max_price: 30.00\n", "", 1),
			[]string{`4: policies[0].max_price: is required for action renew: the price cap without tax, e.g. 30.00`}},
		{"cap as a float exponent", strings.Replace(validBase, "30.00", "3e1", 1), []string{`9: policies[0].max_price: "3e1" is not a decimal amount such as 12.99`}},
		{"cap below a micro-cent", strings.Replace(validBase, "30.00", "0.000000001", 1), []string{`9: policies[0].max_price: "0.000000001" is not a decimal amount such as 12.99`}},
		{"two payment forms", strings.Replace(validBase, "{default: true}", "{method_id: 1234, default: true}", 1),
			[]string{`10: policies[0].payment: give exactly one payment form, not method_id and default`}},
		{"no payment form on renew", strings.Replace(validBase, "    payment: {default: true}\n", "", 1),
			[]string{`4: policies[0].payment: is required for action renew: exactly one of method_id: ID, mean: NAME (with mean_id: ID) or default: true`}},
		{"default false is no payment form", strings.Replace(validBase, "default: true", "default: false", 1),
			[]string{`10: policies[0].payment: is required for action renew: exactly one of method_id: ID, mean: NAME (with mean_id: ID) or default: true`}},
		{"paypal without its id", strings.Replace(validBase, "{default: true}", "{mean: paypal}", 1),
			[]string{`10: policies[0].payment.mean_id: is required with mean paypal: OVH needs the id of the registered paypal`}},
		{"unknown payment mean", strings.Replace(validBase, "{default: true}", "{mean: bitcoin}", 1),
			[]string{`10: policies[0].payment.mean: "bitcoin" is not an OVH payment mean (CREDIT_CARD, CURRENT_ACCOUNT, DEFERRED_PAYMENT_ACCOUNT, DOMESTIC_CARD, ENTERPRISE, INTERNAL_TRUSTED_ACCOUNT, PAYPAL, RUPAY, SEPA_DIRECT_DEBIT, bankAccount, creditCard, deferredPaymentAccount, fidelityAccount, ovhAccount, paypal)`}},
		{"mean_id alone", strings.Replace(validBase, "{default: true}", "{mean_id: 7}", 1), []string{`10: policies[0].payment.mean_id: only goes with mean`}},
		{"zero method id", strings.Replace(validBase, "{default: true}", "{method_id: 0}", 1), []string{`10: policies[0].payment.method_id: must be a positive whole number, not "0"`}},
		{"bad glob", strings.Replace(validBase, "{type: vps}", `{name: "vps-["}`, 1),
			[]string{`5: policies[0].match.name: "vps-[" is not a valid glob: syntax error in pattern`}},
		{"bad service type", strings.Replace(validBase, "{type: vps}", `{type: /vps}`, 1),
			[]string{`5: policies[0].match.type: "/vps" is not a service type such as vps, domain or hosting/web`}},
		{"service id not a number", strings.Replace(validBase, "{type: vps}", `{service_ids: [12, abc]}`, 1),
			[]string{`5: policies[0].match.service_ids[1]: must be a positive whole number, not "abc"`}},
		{"bad cron spec", "schedule: '61 * * * *'\n" + validBase,
			[]string{`1: schedule: "61 * * * *" is not a cron spec (5 fields, or @daily, @every 6h...): end of range (61) above maximum (59): 61`}},
		{"time zone without schedule", "schedule: CRON_TZ=Europe/Paris\n" + validBase,
			[]string{`1: schedule: "CRON_TZ=Europe/Paris" names a time zone but no schedule after it`}},
		{"schedule every second", "schedule: '@every 1s'\n" + validBase, []string{`1: schedule: "@every 1s" runs more often than once a minute`}},
		{"jitter over an hour", "jitter: 2h\n" + validBase, []string{`1: jitter: 2h is over the 1h maximum`}},
		{"retention in minutes", "history_retention: 3m\n" + validBase,
			[]string{`1: history_retention: 3m is under the 30d minimum (m is minutes; write 90d for three months)`}},
		{"refresh under a day", "inventory:\n  refresh_interval: 12h\n" + validBase,
			[]string{`2: inventory.refresh_interval: 12h is not between 1d and 1y`}},
		{"margin under two cycles", "schedule: '0 4 * * 1'\ninventory:\n  horizon_margin: 7d\n" + validBase,
			[]string{`3: inventory.horizon_margin: 7d is under two cycles of the schedule (7d apart at most, with the jitter): at least 14d`}},
		{"margin zero", "inventory:\n  horizon_margin: 0\n" + validBase,
			[]string{`2: inventory.horizon_margin: 0s is under two cycles of the schedule (6h apart at most, with the jitter): at least 12h`}},
		{"unknown inventory key", "inventory:\n  refresh: 7d\n" + validBase,
			[]string{`2: inventory.refresh: unknown key (known keys: horizon_margin, refresh_interval)`}},
		{"bad listen", "listen: localhost\n" + validBase, []string{`1: listen: "localhost" is not host:port such as 127.0.0.1:9750`}},
		{"bad log format", "log_format: yaml\n" + validBase, []string{`1: log_format: "yaml" is not text or json`}},
		{"bad log level", "log_level: verbose\n" + validBase, []string{`1: log_level: "verbose" is not debug, info, warn or error`}},
		{"log level in capitals", "jitter: 0\nlog_level: DEBUG\n" + validBase, []string{`2: log_level: "DEBUG" is not debug, info, warn or error`}},
		{"log level not a string", "log_level: [debug]\n" + validBase, []string{`1: log_level: must be a single value, not a list`}},
		{"missing endpoint", "ovh:\n  rate_limit: 2\n", []string{`1: ovh.endpoint: is required: ovh-eu, ovh-ca, ovh-us, kimsufi-eu, kimsufi-ca, soyoustart-eu, soyoustart-ca, or the API's URL`}},
		{"unknown endpoint alias", strings.Replace(validBase, "ovh-eu", "ovh-fr", 1),
			[]string{`2: ovh.endpoint: "ovh-fr" is not an endpoint alias (ovh-eu, ovh-ca, ovh-us, kimsufi-eu, kimsufi-ca, soyoustart-eu, soyoustart-ca) or an http(s) URL`}},
		{"endpoint with trailing slash", strings.Replace(validBase, "ovh-eu", "https://eu.api.ovh.com/1.0/", 1),
			[]string{`2: ovh.endpoint: "https://eu.api.ovh.com/1.0/" ends with a slash; write it without, as in https://eu.api.ovh.com/1.0`}},
		{"endpoint not http", strings.Replace(validBase, "ovh-eu", "ftp://eu.api.ovh.com/1.0", 1),
			[]string{`2: ovh.endpoint: "ftp://eu.api.ovh.com/1.0" is not an http(s) URL such as https://eu.api.ovh.com/1.0`}},
		{"bad rate limit", strings.Replace(validBase, "  endpoint: ovh-eu\n", "  endpoint: ovh-eu\n  rate_limit: 0\n  concurrency: 100\n", 1), []string{
			`3: ovh.rate_limit: must be greater than 0 (requests per second)`,
			`4: ovh.concurrency: must be between 1 and 64`,
		}},
		{"secret readable by others", strings.Replace(validBase, "  endpoint: ovh-eu\n",
			"  endpoint: ovh-eu\n  application_key_file: ovh-application-key\n  application_secret_file: world-readable\n  consumer_key_file: group-writable\n", 1), []string{
			`4: ovh.application_secret_file: $CRED/world-readable is readable by others (mode 0644); chmod 600 it`,
			`5: ovh.consumer_key_file: $CRED/group-writable is writable by others (mode 0620); chmod 600 it`,
		}},
		{"secret of two lines, blank, missing", strings.Replace(validBase, "  endpoint: ovh-eu\n",
			"  endpoint: ovh-eu\n  application_key_file: two-lines\n  application_secret_file: blank\n  consumer_key_file: /nonexistent/key\n", 1), []string{
			`3: ovh.application_key_file: $CRED/two-lines holds more than one line; it must hold the credential alone`,
			`4: ovh.application_secret_file: $CRED/blank is empty`,
			`5: ovh.consumer_key_file: open /nonexistent/key: no such file or directory`,
		}},
		{"two of three credential files", strings.Replace(validBase, "  endpoint: ovh-eu\n",
			"  endpoint: ovh-eu\n  application_key_file: ovh-application-key\n  application_secret_file: ovh-application-secret\n", 1),
			[]string{`1: ovh: the three credential files go together: set consumer_key_file too, or none of them (go-ovh then reads OVH_* variables or ovh.conf)`}},
		{"neither ovh nor accounts", "schedule: '@daily'\n", []string{`1: ovh or accounts is required`}},
		{"both ovh and accounts", validBase + "accounts:\n  - {name: b, endpoint: ovh-ca}\n",
			[]string{`11: accounts: ovh and accounts are exclusive: use ovh for one account, accounts for several`}},
		{"empty accounts", "accounts: []\n", []string{`1: accounts: must list at least one account`}},
		{"bad and duplicate account names", "accounts:\n  - {name: eu/main, endpoint: ovh-eu}\n  - {name: b, endpoint: ovh-eu}\n  - {name: b, endpoint: ovh-ca}\n", []string{
			`2: accounts[0].name: "eu/main" is not an account name: lowercase letters, digits, - and _, starting with a letter or digit`,
			`4: accounts[2].name: "b" is already the name of accounts[1]`,
		}},
		{"duplicate rule names", validBase + "  - {name: vps, match: {type: domain}, action: ignore}\n",
			[]string{`11: policies[1].name: "vps" is already the name of policies[0]`}},
		{"rule without a name", validBase + "  - {match: {type: domain}, action: ignore}\n",
			[]string{`11: policies[1].name: is required: a name for reports, unique among the rules`}},
		{"rule after a catch-all", strings.Replace(validBase, "policies:\n", "policies:\n  - {name: all, action: notify, renew_before: 7d}\n", 1),
			[]string{`5: policies[1]: never applies: policies[0] (all) has no match, so it covers every service first`}},
		{"match.account naming no account", strings.Replace(validBase, "{type: vps}", "{account: eu-main}", 1),
			[]string{`5: policies[0].match.account: "eu-main" names no configured account (configured: default)`}},
		{"unknown action", strings.Replace(validBase, "action: renew", "action: renw", 1),
			[]string{`6: policies[0].action: "renw" is not an action: use renew, notify or ignore`}},
		{"missing action", strings.Replace(validBase, "    action: renew\n", "", 1),
			[]string{`4: policies[0].action: is required: renew, notify or ignore`}},
		{"approval above negative", validBase + "    approval: {above: -1}\n",
			[]string{`11: policies[0].approval.above: must not be negative, not -1.00`}},
		{"approval above the cap", validBase + "    approval: {above: 30}\n",
			[]string{`11: policies[0].approval.above: 30.00 is not below max_price 30.00, so it would never ask (prices over the cap follow over_cap); lower it or use approval: always`}},
		{"unknown approval word", validBase + "    approval: sometimes\n",
			[]string{`11: policies[0].approval: "sometimes" is not an approval rule: use never, always or {above: AMOUNT}`}},
		{"approval with nobody to approve", "control_socket: ''\n" + validBase + "    approval: always\n",
			[]string{`12: policies[0].approval: nobody could approve: configure slack with approvers, or keep control_socket for renewd approve`}},
		{"allow_bundle not a boolean", validBase + "    allow_bundle: yes\n",
			[]string{`11: policies[0].allow_bundle: must be true or false, not "yes"`}},
		{"policies not a list", "ovh: {endpoint: ovh-eu}\npolicies:\n  vps: {}\n", []string{`3: policies: must be a list, not a mapping`}},
		{"bad budget", validBase + "budget: {monthly: 0, currency: euro, over: maybe}\n", []string{
			`11: budget.over: "maybe" is not one of refuse, approve`, // decoding problems come first within a line
			`11: budget.monthly: must be greater than 0, not 0.00`,
			`11: budget.currency: "euro" is not an ISO 4217 currency code such as EUR`,
		}},
		{"bad slack ids", validBase + `slack:
  bot_token_file: slack-bot-token
  channel: general
  approvers: [U0123456789, bob]
  notify: [renewals, everything]
  api_url: https://slack.com/api
`, []string{
			`13: slack.channel: "general" is not a Slack channel id such as C0123456789 (a channel name will not do)`,
			`14: slack.approvers[1]: "bob" is not a Slack user id such as U0123456789`,
			`15: slack.notify[1]: "everything" is not one of failures, approvals, renewals, summary, automatic, uncovered`,
			`16: slack.api_url: "https://slack.com/api" must end with a slash, as in https://slack.com/api/`,
		}},
		{"slack approvals without approvers", validBase + "    over_cap: approve\nslack:\n  bot_token_file: slack-bot-token\n  channel: C0123456789\n", []string{
			`12: slack.approvers: is required: rule vps holds renewals over its cap for approval (policies[0].over_cap)`,
			`12: slack.app_token_file: is required: rule vps holds renewals over its cap for approval (policies[0].over_cap), and Slack approvals arrive over Socket Mode`,
		}},
		{"slack without bot token", validBase + "slack:\n  channel: C0123456789\n",
			[]string{`11: slack.bot_token_file: is required: the file holding the bot token (xoxb-...)`}},
		{"bad slack digests", validBase + "slack:\n  bot_token_file: slack-bot-token\n  channel: C0123456789\n  digest_threshold: 0\n  digest_list: 41\n  max_single_messages: many\n", []string{
			`14: slack.digest_threshold: must be at least 1, not 0`,
			`15: slack.digest_list: must be from 1 to 40 (a digest must fit one Slack message), not 41`,
			`16: slack.max_single_messages: must be a whole number, not "many"`,
		}},
		{"several problems, sorted by line", `schedule: every day
ovh:
  endpoint: ovh-eu/
  burst: many
policies:
  - name: vps
    action: renew
    renew_before: 14d
    period: P3M
    max_price: 30,00
    payment: {method_id: 1, mean: ovhAccount}
`, []string{
			`1: schedule: "every day" is not a cron spec (5 fields, or @daily, @every 6h...): expected exactly 5 fields, found 2: [every day]`,
			`3: ovh.endpoint: "ovh-eu/" is not an endpoint alias (ovh-eu, ovh-ca, ovh-us, kimsufi-eu, kimsufi-ca, soyoustart-eu, soyoustart-ca) or an http(s) URL`,
			`4: ovh.burst: must be a whole number, not "many"`,
			`10: policies[0].max_price: "30,00" is not a decimal amount such as 12.99`,
			`11: policies[0].payment: give exactly one payment form, not method_id and mean`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.text), path, getenv)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Parse() = %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse() = %+v, nil; want errors", c)
			}
			if c != nil {
				t.Errorf("Parse() returned a config with its errors")
			}
			var want []string
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "$CRED", cred)
				if w[0] >= '0' && w[0] <= '9' {
					want = append(want, path+":"+w)
				} else {
					want = append(want, path+": "+w)
				}
			}
			if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("Parse() errors (-want +got):\n%s", diff)
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != len(want) {
				t.Errorf("Parse() error is not Errors of %d problems: %#v", len(want), err)
			}
			if strings.Contains(err.Error(), "canary") {
				t.Errorf("an error shows a secret file's content:\n%s", err)
			}
		})
	}
}
