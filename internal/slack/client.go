// Package slack is renewd's Slack adapter. A Client posts the ledger's
// reports to one channel as Block Kit messages, updating a message in place
// when a later report has the same key (notify.Sender), and takes Approve
// and Deny clicks over Socket Mode (Run). It holds the bot and app tokens
// and keeps them out of every log line, error and message body: a
// transport moves the token slack-go puts in form bodies into the
// Authorization header, and every slack-go error is rewritten with the
// tokens redacted before it leaves the package.
package slack

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

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
}

// Client posts reports to Slack and takes approvals. It is safe for
// concurrent use.
type Client struct {
	api       *slackapi.Client
	bot, app  string
	channel   string
	approvers map[string]bool
	notify    func(kind string) bool
	log       *slog.Logger
	timeout   time.Duration
	buttons   bool
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
		bot:       o.BotToken,
		app:       o.AppToken,
		channel:   o.Channel,
		approvers: map[string]bool{},
		notify:    o.Notify,
		log:       o.Logger,
		timeout:   o.CallTimeout,
		buttons:   !o.NoButtons,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultCallTimeout
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
