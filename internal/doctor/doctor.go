// Package doctor proves a renewd setup against the real accounts before
// money day: the config, the ledger, and for each OVH account the clock,
// the consumer key and its rules, how the API really answers where its
// documentation leaves it open (the expanded listing, batch reads, the
// forms of an expiration, date.from, the lines of a renewal order), each
// policy against the services it covers, and Slack.
//
// Every check is a read: the OVH interface below has no method that
// creates an order or pays one, and Slack is only read, unless the caller
// asks for the one test message. Each check gives a Check line, ok, warn or
// fail, with what to do; outside text in them (service names, OVH's and
// Slack's words) is quoted, and Write escapes whatever control characters
// remain.
package doctor

import (
	"context"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/slack"
)

// Status is a check's outcome.
type Status string

const (
	OK   Status = "ok"   // as renewd needs it
	Warn Status = "warn" // works, but something deserves a look (cost, a risk, a check that could not be made)
	Fail Status = "fail" // renewd would get something wrong, or could not work
)

// rank orders statuses from best to worst.
func (s Status) rank() int {
	switch s {
	case Warn:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// Check is one line of the report.
type Check struct {
	// ID names the check for machines: "ledger", "ovh.ACCOUNT.rules",
	// "policy.NAME.period", "slack.channel". Stable across releases.
	ID     string
	Status Status
	Title  string
	// Detail says what was found; Fix, when not ok, what to do.
	Detail string
	Fix    string
}

// Report is every check, in the order they ran.
type Report struct {
	// Renewd is renewd's version.
	Renewd string
	// Status is the worst of the checks' statuses.
	Status Status
	Checks []Check
}

// OVH is what the checks read from one account; *ovh.Client provides it.
// It has only reads: no check can create or pay an order.
type OVH interface {
	Account() string
	ServerTime(ctx context.Context) (time.Time, error)
	CurrentCredential(ctx context.Context) (ovh.Credential, error)
	ExpandedListing(ctx context.Context) ([]renewd.Service, ovh.FormProbe, error)
	ServiceIDs(ctx context.Context) ([]int64, error)
	BatchRead(ctx context.Context, ids []int64) ([]renewd.Service, ovh.FormProbe, error)
	Services(ctx context.Context) ([]renewd.Service, error)
	Service(ctx context.Context, id int64) (renewd.Service, error)
	ServiceInfosExpiration(ctx context.Context, s renewd.Service) (renewd.Date, error)
	OrdersSince(ctx context.Context, from time.Time) ([]int64, error)
	Order(ctx context.Context, orderID int64) (ovh.Order, error)
	OrderItems(ctx context.Context, orderID int64) ([]ovh.OrderItem, error)
	RenewStrategies(ctx context.Context, serviceID int64) ([]ovh.Strategy, error)
	PaymentMethodIDs(ctx context.Context) ([]int64, error)
	PaymentMethod(ctx context.Context, id int64) (ovh.PaymentMethod, error)
	DefaultPaymentMethod(ctx context.Context) (int64, error)
}

// Slack is what the Slack checks read; *slack.Client provides it.
type Slack interface {
	Identity(ctx context.Context) (slack.Identity, error)
	ChannelInfo(ctx context.Context) (slack.ChannelInfo, error)
	UserInfo(ctx context.Context, id string) (slack.UserInfo, error)
	OpenSocketMode(ctx context.Context) error
	PostTest(ctx context.Context, text string) error
}

var (
	_ OVH   = (*ovh.Client)(nil)
	_ Slack = (*slack.Client)(nil)
)

// DefaultSample is how many services a check reads at most when Setup
// gives no Sample: the soonest to expire.
const DefaultSample = 5

// Setup is what the checks run on.
type Setup struct {
	Version string // renewd's version
	// ConfigPath and ConfigSummary make the first line (the config loaded).
	ConfigPath, ConfigSummary string
	StateFile                 string
	// Daemon reads the running daemon's status through the control socket;
	// it returns nil, nil when no daemon answers. Nil means no socket.
	Daemon func(ctx context.Context) (*control.Status, error)
	// Accounts are the OVH accounts, in the config's order.
	Accounts []Account
	Policy   policy.Policy
	// Sample bounds the services read per check; 0 means DefaultSample.
	Sample int
	// Slack is nil without a slack: section.
	Slack *SlackSetup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Account is one OVH account to check.
type Account struct {
	Name string
	OVH  OVH
	// RateLimit is the account's requests per second, for the cost of an
	// inventory in time.
	RateLimit float64
}

// SlackSetup is the slack: section and its client.
type SlackSetup struct {
	Client    Slack
	Channel   string
	Approvers []string
	// AppToken says slack.app_token_file is set (approvals over Socket Mode).
	AppToken bool
	// Test posts one test message (renewd doctor --slack-test).
	Test bool
}

// Run runs every check and returns the report. It stops early only when
// ctx ends; a check that cannot be made says so in its line.
func Run(ctx context.Context, s Setup) Report {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Sample <= 0 {
		s.Sample = DefaultSample
	}
	r := &run{setup: s, now: s.Now()}
	r.add(Check{ID: "config", Status: OK, Title: "config", Detail: s.ConfigPath + ": " + s.ConfigSummary})
	r.add(checkStateDir(s.StateFile))
	r.add(checkLedger(ctx, s.StateFile, s.Daemon))
	for _, a := range s.Accounts {
		if ctx.Err() != nil {
			break
		}
		r.account(ctx, a)
	}
	r.policies(ctx)
	r.uncovered()
	r.slack(ctx)
	return r.report()
}

// ConfigFailed is the report of a config that does not load: its one line.
func ConfigFailed(version, path string, err error) Report {
	r := &run{setup: Setup{Version: version}}
	r.add(Check{ID: "config", Status: Fail, Title: "config", Detail: path + ": " + err.Error(),
		Fix: "correct the file (renewd check-config lists every problem); a missing consumer key file is what `renewd auth` writes"})
	return r.report()
}

// run is one Run: the checks so far, and what the account checks read for
// the policy checks.
type run struct {
	setup    Setup
	now      time.Time
	checks   []Check
	services []accountService // every account's inventory
}

// accountService is a service with the account that holds it.
type accountService struct {
	renewd.Service
	ovh OVH
}

func (r *run) add(c Check) { r.checks = append(r.checks, c) }

func (r *run) report() Report {
	rep := Report{Renewd: r.setup.Version, Status: OK, Checks: r.checks}
	for _, c := range r.checks {
		if c.Status.rank() > rep.Status.rank() {
			rep.Status = c.Status
		}
	}
	return rep
}

// Counts returns how many checks failed and how many warn.
func (rep Report) Counts() (fails, warns int) {
	for _, c := range rep.Checks {
		switch c.Status {
		case Fail:
			fails++
		case Warn:
			warns++
		}
	}
	return fails, warns
}
