// Package config reads renewd's YAML configuration file: it decodes it
// strictly (an unknown or duplicate key is an error), fills in defaults,
// validates every value, and turns the policies into the domain's
// policy.Rule values. Every problem is reported with the file, the line and
// the field it concerns, and all problems are reported at once.
//
// The file holds no secret: OVH and Slack credentials are read from files
// named in it (see Account.LoadCredentials and Slack.LoadTokens), and what
// is read from them is a Secret, which never prints.
//
// Choices the file format makes, beyond the obvious:
//   - A key with no value (`key:`) counts as absent; `control_socket: ""`
//     disables the socket.
//   - approval.above must be at least 0 and below max_price: at or above the
//     cap it could never ask, since prices over the cap follow over_cap.
//   - A renewal that can be held for approval (approval, over_cap: approve,
//     budget.over: approve) needs someone to approve it: slack.approvers and
//     slack.app_token_file when slack is configured, else the control socket
//     (renewd approve).
//   - payment.mean is one of OVH's registered payment means; bankAccount,
//     creditCard and paypal need mean_id, as OVH requires.
//   - A rule after one with an empty match never applies, and is an error.
//   - schedule may not run more than once a minute, history_retention may
//     not be under 30d (3m is three minutes), renew_before is at most 365d
//     and periods at most 10 years.
//   - Windows are ParseWindow's: no months, which have no fixed length.
package config

import (
	"time"

	"github.com/renewd/renewd/internal/policy"
)

// Defaults of the settings that have one.
const (
	DefaultSchedule         = "@every 6h"
	DefaultStateFile        = "/var/lib/renewd/renewd.db"
	DefaultControlSocket    = "/run/renewd/control.sock"
	DefaultLogFormat        = "text"
	DefaultLogLevel         = "info"
	DefaultReportWithin     = 30 * Day
	DefaultDeliveryTimeout  = 24 * time.Hour
	DefaultHistoryRetention = 3 * Year
	// DefaultRateLimit and DefaultBurst keep every minute within OVH's fair
	// use of 60 requests per consumer key: a token bucket lets at most
	// burst + 60*rate requests through in any 60 s, and 15 + 45 = 60. The
	// burst lets a short inventory (the expanded listing: one request per
	// 500 services) go at once.
	DefaultRateLimit       = 0.75
	DefaultBurst           = 15
	DefaultConcurrency     = 4
	DefaultApprovalTimeout = 72 * time.Hour
	DefaultSlackAPIURL     = "https://slack.com/api/"

	// Slack digests (slack.digest_threshold, slack.digest_list,
	// slack.max_single_messages).
	DefaultDigestThreshold   = 5
	DefaultDigestList        = 20
	MaxDigestList            = 40
	DefaultMaxSingleMessages = 20
)

// Day and Year are the fixed lengths ParseWindow gives to "d" and "y".
const (
	Day  = 24 * time.Hour
	Year = 365 * Day
)

// Config is the whole configuration. Parse and Load return it validated;
// paths in it are absolute when the file gave them relative (resolved
// against the config file's directory or $CREDENTIALS_DIRECTORY). It holds
// no secret. A Config is a value: nothing in renewd changes it after Parse,
// so it may be read from several goroutines.
type Config struct {
	// Path is the file it was read from, as given to Parse or Load.
	Path string
	// Schedule is a robfig/cron/v3 standard spec (5 fields or a
	// descriptor), optionally prefixed by CRON_TZ=Area/City.
	Schedule string
	// Jitter is the upper bound of the random delay before a scheduled cycle.
	Jitter time.Duration
	// StateFile is the bbolt ledger.
	StateFile string
	// ControlSocket is the unix socket of the local API; "" disables it.
	ControlSocket string
	// ControlGroup, when set, is the name of the group whose members (with
	// root) may approve, deny, run a cycle or back up through the control
	// socket; "" lets every caller that can open the socket do so. The
	// daemon resolves it at start.
	ControlGroup string
	// Listen is host:port for /healthz and /metrics; "" disables it.
	Listen string
	// LogFormat is "text" or "json".
	LogFormat string
	// LogLevel is one of LogLevels; Level gives it as a slog.Level.
	LogLevel string
	// ReportWithin is how close to expiry uncovered services get reported.
	// Policy.ReportWithin holds the same value.
	ReportWithin time.Duration
	// DeliveryTimeout is how long a paid order may stay undelivered before
	// it is reported.
	DeliveryTimeout time.Duration
	// HistoryRetention is how long ledger records are kept.
	HistoryRetention time.Duration
	// Accounts are the OVH accounts, at least one. The single `ovh:` form of
	// the file gives one account named renewd.DefaultAccount.
	Accounts []Account
	// Budget caps the monthly spending; nil means no budget.
	Budget *Budget
	// Policy is the ordered rule list.
	Policy policy.Policy
	// Slack configures reports and approvals; nil means no Slack.
	Slack *Slack
	// Inventory tunes the incremental inventory.
	Inventory Inventory
}

// Account is one OVH account.
type Account struct {
	Name string
	// Endpoint is a go-ovh endpoint alias (ovh-eu, ovh-ca, ...) or a full
	// http(s) URL without trailing slash.
	Endpoint string
	// The credential files: all three, or none (go-ovh then reads its own
	// sources: the OVH_* environment variables and ovh.conf).
	AppKeyFile, AppSecretFile, ConsumerKeyFile string
	// RateLimit is the client-side limit in requests per second, with Burst.
	RateLimit float64
	Burst     int
	// Concurrency bounds the requests in flight at once.
	Concurrency int
}

// Budget caps the spending of a calendar month, without tax, in one currency.
type Budget struct {
	MonthlyUcents int64
	Currency      string
	// Over says what happens to a renewal that would exceed the budget.
	Over policy.OverCap
}

// Slack configures the Slack reports and approvals.
type Slack struct {
	BotTokenFile string
	// AppTokenFile is the Socket Mode token that approvals need; "" when
	// no rule can hold a renewal for approval.
	AppTokenFile string
	Channel      string
	// Approvers are the Slack user ids whose Approve or Deny counts.
	Approvers []string
	// Notify lists the kinds of report sent (see the Notify* constants);
	// Parse always includes NotifyFailures and NotifyApprovals.
	Notify          []string
	ApprovalTimeout time.Duration
	// APIURL is the Slack Web API base URL, ending with "/".
	APIURL string
	// DigestThreshold: when more reports of one kind that comes in numbers
	// (uncovered, automatic, notices, renewed, delivered) wait at once,
	// they are posted as one digest message.
	DigestThreshold int
	// DigestList is how many services a digest names (1 to MaxDigestList);
	// it counts the rest.
	DigestList int
	// MaxSingleMessages is how many failures, and how many approval
	// requests, are posted one message each in a row; the rest waiting
	// then go as one digest ("N more failures").
	MaxSingleMessages int
}

// The kinds of Slack report, the words of slack.notify.
const (
	NotifyFailures  = "failures"
	NotifyApprovals = "approvals"
	NotifyRenewals  = "renewals"
	NotifySummary   = "summary"
	NotifyAutomatic = "automatic"
	NotifyUncovered = "uncovered"
)

// notifyKinds is every kind, in the order Parse lists them.
var notifyKinds = []string{NotifyFailures, NotifyApprovals, NotifyRenewals, NotifySummary, NotifyAutomatic, NotifyUncovered}

// Notifies reports whether reports of the kind are sent. Failures and
// approvals always are.
func (s Slack) Notifies(kind string) bool {
	if kind == NotifyFailures || kind == NotifyApprovals {
		return true
	}
	for _, k := range s.Notify {
		if k == kind {
			return true
		}
	}
	return false
}

// Default returns the configuration before the file is read: every default
// set, no account, no rule, no budget, no Slack.
func Default() Config {
	return Config{
		Schedule:         DefaultSchedule,
		StateFile:        DefaultStateFile,
		ControlSocket:    DefaultControlSocket,
		LogFormat:        DefaultLogFormat,
		LogLevel:         DefaultLogLevel,
		ReportWithin:     DefaultReportWithin,
		DeliveryTimeout:  DefaultDeliveryTimeout,
		HistoryRetention: DefaultHistoryRetention,
		Policy:           policy.Policy{ReportWithin: DefaultReportWithin},
		Inventory:        defaultInventory(),
	}
}

// defaultAccount returns an account with the default limits.
func defaultAccount(name string) Account {
	return Account{Name: name, RateLimit: DefaultRateLimit, Burst: DefaultBurst, Concurrency: DefaultConcurrency}
}

// defaultSlack returns the Slack section's defaults: every kind of report.
func defaultSlack() Slack {
	return Slack{
		Notify:            append([]string(nil), notifyKinds...),
		ApprovalTimeout:   DefaultApprovalTimeout,
		APIURL:            DefaultSlackAPIURL,
		DigestThreshold:   DefaultDigestThreshold,
		DigestList:        DefaultDigestList,
		MaxSingleMessages: DefaultMaxSingleMessages,
	}
}

// AccountByName returns the account of that name, and false when none has it.
func (c *Config) AccountByName(name string) (Account, bool) {
	for _, a := range c.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}
