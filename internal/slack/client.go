// Package slack is renewd's Slack adapter. A Client posts the ledger's
// reports to one channel as Block Kit messages, updating a message in place
// when a later report has the same key (notify.Sender), posts digests of
// many reports (notify.DigestSender), and takes Approve and Deny clicks
// over Socket Mode (Run), which it restarts whenever it stops.
//
// Posts and edits are paced to Slack's one message a second per channel.
// Everything from outside (service names, OVH error bodies, config text)
// is escaped and cut to Slack's limits (limits.go, message.go). Slack's
// errors are classified for the drainer: permanent ones (a request, a
// channel or a token Slack refuses) as *notify.PermanentError, a 429 as a
// *notify.RetryAfterError, the rest as transient (errors.go).
//
// A Client holds the bot and app tokens and keeps them out of every log
// line, error and message body: a transport moves the token slack-go puts
// in form bodies into the Authorization header, and every slack-go error
// is rewritten with the tokens redacted before it leaves the package.
package slack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/renewd/renewd/internal/notify"
)

// DefaultAPIURL is Slack's Web API base URL.
const DefaultAPIURL = "https://slack.com/api/"

// DefaultCallTimeout bounds one Slack Web API call.
const DefaultCallTimeout = 15 * time.Second

// Options configure a Client.
type Options struct {
	// BotToken (xoxb-) posts and updates messages. Required.
	BotToken string
	// AppToken (xapp-, connections:write) opens the Socket Mode connection
	// Run needs; "" when approvals are not taken in Slack.
	AppToken string
	// Channel is where reports go (an id such as C0123, or a name).
	Channel string
	// Approvers are the Slack user ids whose clicks count.
	Approvers []string
	// APIURL is the Web API base URL; "" means DefaultAPIURL.
	APIURL string
	// Notify says whether reports of a kind (config.Slack.Notifies: failures,
	// approvals, renewals, summary, automatic, uncovered) are posted; nil
	// posts all. Failures and approvals are posted whatever it says.
	Notify func(kind string) bool
	// Logger; nil discards.
	Logger *slog.Logger
	// HTTPClient for the Web API; nil uses a default one. Its Transport is
	// wrapped, not changed.
	HTTPClient *http.Client
	// CallTimeout bounds each Web API call; 0 means DefaultCallTimeout.
	CallTimeout time.Duration
	// NoButtons leaves the Approve and Deny buttons out of approval
	// requests, which then say how to decide with the CLI. For `renewd
	// once`, where no process listens for the clicks.
	NoButtons bool
	// PostInterval is the least time between two posts or edits in one
	// channel (Slack allows about one message a second per channel); 0
	// means DefaultPostInterval, a negative value does not pace (tests).
	PostInterval time.Duration
	// DigestList is how many reports a digest names; 0 means
	// DefaultDigestList, at most MaxDigestList.
	DigestList int
	// ReconnectBackoff is Run's wait before each new Socket Mode session
	// after one ended in an error, the last entry repeating; nil means
	// DefaultReconnectBackoff.
	ReconnectBackoff []time.Duration
	// OutageAfter is how long Socket Mode may fail to reconnect before Run
	// declares an outage (which a fatal error, such as a revoked token,
	// declares at once); 0 means DefaultOutageAfter.
	OutageAfter time.Duration
	// OnSocketMode, when set, is told when approvals over Socket Mode work
	// (true: connected) and when an outage starts (false). For a metric.
	OnSocketMode func(up bool)
	// Now and Sleep are the clock; nil means the real one. Sleep returns
	// early, with ctx's error, when ctx is done.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultPostInterval is Slack's pace for chat.postMessage (and renewd's
// for chat.update) in one channel: about one message a second.
const DefaultPostInterval = time.Second

// Client posts reports to Slack and takes approvals. It is safe for
// concurrent use.
type Client struct {
	api        *slackapi.Client
	bot, app   string
	channel    string
	approvers  map[string]bool
	notify     func(kind string) bool
	log        *slog.Logger
	timeout    time.Duration
	buttons    bool
	digestList int
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error

	interval time.Duration
	limitMu  sync.Mutex
	limiters map[string]*rate.Limiter // per channel

	reconnect   []time.Duration
	outageAfter time.Duration
	onSocket    func(up bool)
	sock        socketState
}

var _ notify.Sender = (*Client)(nil)

// New returns a Client. It makes no call to Slack. Errors never hold a token.
func New(o Options) (*Client, error) {
	if strings.TrimSpace(o.BotToken) == "" {
		return nil, errors.New("new slack client: no bot token")
	}
	if strings.TrimSpace(o.Channel) == "" {
		return nil, errors.New("new slack client: no channel")
	}
	apiURL := o.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	if !strings.HasPrefix(apiURL, "https://") && !strings.HasPrefix(apiURL, "http://") {
		return nil, errors.New("new slack client: the api url must start with http:// or https://")
	}
	c := &Client{
		bot:         o.BotToken,
		app:         o.AppToken,
		channel:     o.Channel,
		approvers:   map[string]bool{},
		notify:      o.Notify,
		log:         o.Logger,
		timeout:     o.CallTimeout,
		buttons:     !o.NoButtons,
		digestList:  o.DigestList,
		now:         o.Now,
		sleep:       o.Sleep,
		interval:    o.PostInterval,
		limiters:    map[string]*rate.Limiter{},
		reconnect:   o.ReconnectBackoff,
		outageAfter: o.OutageAfter,
		onSocket:    o.OnSocketMode,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultCallTimeout
	}
	if c.digestList <= 0 {
		c.digestList = DefaultDigestList
	}
	c.digestList = min(c.digestList, MaxDigestList)
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	if c.interval == 0 {
		c.interval = DefaultPostInterval
	}
	if len(c.reconnect) == 0 {
		c.reconnect = DefaultReconnectBackoff
	}
	if c.outageAfter <= 0 {
		c.outageAfter = DefaultOutageAfter
	}
	for _, id := range o.Approvers {
		if id = strings.TrimSpace(id); id != "" {
			c.approvers[id] = true
		}
	}
	hc := &http.Client{}
	if o.HTTPClient != nil {
		*hc = *o.HTTPClient
	}
	hc.Transport = &tokenTransport{next: hc.Transport}
	opts := []slackapi.Option{
		slackapi.OptionAPIURL(apiURL),
		slackapi.OptionHTTPClient(hc),
		slackapi.OptionLog(redactingLogger{c: c}),
	}
	if o.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(o.AppToken))
	}
	c.api = slackapi.New(o.BotToken, opts...)
	return c, nil
}

// redact replaces the tokens in s with "[redacted]".
func (c *Client) redact(s string) string {
	for _, tok := range []string{c.bot, c.app} {
		if tok != "" {
			s = strings.ReplaceAll(s, tok, "[redacted]")
		}
	}
	return s
}

// redactingLogger receives slack-go's own log lines (debug is off, so
// there are few) and passes them to the Client's logger at debug level,
// tokens redacted.
type redactingLogger struct{ c *Client }

func (l redactingLogger) Output(_ int, s string) error {
	l.c.log.Debug(l.c.redact(strings.TrimSpace(s)), "from", "slack-go")
	return nil
}
