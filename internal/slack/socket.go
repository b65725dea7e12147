package slack

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// DefaultReconnectBackoff is Run's wait before each new Socket Mode session
// after one ended in an error (slack-go gives up for good on invalid_auth,
// token_revoked, account_inactive, not_authed and a 404); the last entry
// repeats, so a revoked token is tried again every five minutes until it
// works again.
var DefaultReconnectBackoff = []time.Duration{
	5 * time.Second,
	15 * time.Second,
	30 * time.Second,
	time.Minute,
	2 * time.Minute,
	5 * time.Minute,
}

// DefaultOutageAfter is how long Socket Mode may fail to reconnect on its
// own (a network error, a 5xx) before Run declares an outage. Slack asks
// clients to reconnect every few hours; that takes a second and is no
// outage.
const DefaultOutageAfter = time.Minute

// Told to the channel, when posting works, as an outage starts and ends.
const (
	msgOutage = ":warning: Slack approvals are down: renewd is not receiving button clicks (%s). " +
		"Until they are back, approval requests come without buttons: decide on the renewd host with " +
		"`renewd approve TERM` or `renewd deny TERM` (`renewd status` lists what waits)."
	msgBack = ":white_check_mark: Slack approvals are back: new approval requests have their buttons again. " +
		"Decide on the requests posted meanwhile with `renewd approve` / `renewd deny`."
)

// socketState is where Socket Mode stands. Its zero value is "starting":
// buttons are shown until an outage is declared.
type socketState struct {
	mu     sync.Mutex
	down   bool      // an outage is declared and not over
	lostAt time.Time // when the connection was last lost; zero while connected
}

// buttonsNow reports whether a new approval request gets its buttons:
// unless Options.NoButtons, and not during a Socket Mode outage.
func (c *Client) buttonsNow() bool {
	if !c.buttons {
		return false
	}
	c.sock.mu.Lock()
	defer c.sock.mu.Unlock()
	return !c.sock.down
}

// Run takes Approve and Deny clicks over Socket Mode until ctx is done,
// then returns nil. It returns an error only when it cannot run at all (no
// app token). Whatever stops a Socket Mode session (slack-go gives up on a
// revoked or invalid token; the network), Run starts a new one after
// ReconnectBackoff, for as long as ctx lasts: approvals come back without
// a restart once the cause is fixed.
//
// An outage (a session that ended in an error, or failed reconnections
// for OutageAfter) is reported once, as it starts and as it ends: an
// error in the log, OnSocketMode(false), and a message to the channel
// (best effort: posting may be down too). Meanwhile approval requests are
// posted without buttons and say how to decide with the CLI; buttons come
// back on the first request after Socket Mode reconnects.
//
// Each click is acknowledged first, within Slack's 3 s. Only the button's
// action id and value (the opaque approval id) and the clicker's user id
// are read from the payload. A clicker not in Approvers gets an ephemeral
// refusal and decide is not called. Otherwise decide runs; when it refuses
// (unknown, already decided, superseded, expired approval) the clicker gets
// an ephemeral explanation and nothing changes. The message itself is not
// updated here: decide queues that update in the outbox.
func (c *Client) Run(ctx context.Context, decide func(ctx context.Context, approvalID, decision, actor string) error) error {
	if c.app == "" {
		return errors.New("slack approvals: no app-level token (slack.app_token_file): Socket Mode needs one")
	}
	var work sync.WaitGroup // clicks and announcements
	defer work.Wait()
	for attempt := 0; ; attempt++ {
		connected, err := c.session(ctx, decide, &work)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			attempt = 0
		}
		if err == nil {
			err = errors.New("socket mode stopped")
		}
		reason := c.callError("apps.connections.open", err)
		c.lost(ctx, reason.Error(), true, &work)
		wait := c.reconnect[min(attempt, len(c.reconnect)-1)]
		c.log.Warn("Slack Socket Mode stopped; starting it again", "in", wait, "err", reason)
		if c.sleep(ctx, wait) != nil {
			return nil
		}
	}
}

// session runs one Socket Mode client until it stops. It reports whether
// it connected at all, and the error it stopped with.
func (c *Client) session(ctx context.Context, decide DecideFunc, work *sync.WaitGroup) (connected bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sm := socketmode.New(c.api, socketmode.OptionLog(redactingLogger{c: c}))
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(ctx) }()
	for {
		select {
		case err := <-runErr:
			return connected, err
		case evt := <-sm.Events:
			if evt.Type == socketmode.EventTypeConnected {
				connected = true
			}
			c.event(ctx, sm, evt, decide, work)
		}
	}
}

func (c *Client) event(ctx context.Context, sm *socketmode.Client, evt socketmode.Event, decide DecideFunc, work *sync.WaitGroup) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		c.log.Debug("connecting to Slack Socket Mode")
		c.lost(ctx, "", false, work)
	case socketmode.EventTypeConnected:
		c.log.Info("connected to Slack Socket Mode")
		c.up(ctx, work)
	case socketmode.EventTypeConnectionError:
		reason := c.eventError(evt)
		if ce, ok := evt.Data.(*slackapi.ConnectionErrorEvent); ok && ce.ErrorObj != nil {
			reason = c.callError("apps.connections.open", ce.ErrorObj).Error()
		}
		c.log.Warn("Slack Socket Mode connection failed; retrying", "err", reason)
		c.lost(ctx, reason, false, work)
	case socketmode.EventTypeInvalidAuth:
		c.log.Error("Slack refused the app-level token")
	case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		c.log.Warn("Slack Socket Mode error", "event", evt.Type, "err", c.eventError(evt))
	case socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		if err := sm.Ack(*evt.Request); err != nil {
			c.log.Warn("acknowledge a Slack interaction", "err", c.redact(err.Error()))
		}
		cb, ok := evt.Data.(slackapi.InteractionCallback)
		if !ok || cb.Type != slackapi.InteractionTypeBlockActions {
			return
		}
		k, ok := clickOf(cb)
		if !ok {
			return
		}
		work.Go(func() { c.click(ctx, k, decide) })
	default:
		// hello, disconnect, events_api, slash commands: nothing to do.
	}
}

// lost records that the connection is not up. With reason set it is a
// failure: an outage is declared when fatal, or when the connection has
// been lost for OutageAfter.
func (c *Client) lost(ctx context.Context, reason string, fatal bool, work *sync.WaitGroup) {
	now := c.now()
	c.sock.mu.Lock()
	if c.sock.lostAt.IsZero() {
		c.sock.lostAt = now
	}
	declare := reason != "" && !c.sock.down && (fatal || now.Sub(c.sock.lostAt) >= c.outageAfter)
	if declare {
		c.sock.down = true
	}
	c.sock.mu.Unlock()
	if !declare {
		return
	}
	c.log.Error("Slack approvals are down: approval requests go without buttons; decide with `renewd approve` until Socket Mode is back", "err", reason)
	c.tellSocket(false)
	c.announce(ctx, fmtOutage(reason), work)
}

// up records a connection, and the end of an outage.
func (c *Client) up(ctx context.Context, work *sync.WaitGroup) {
	c.sock.mu.Lock()
	wasDown := c.sock.down
	c.sock.down, c.sock.lostAt = false, time.Time{}
	c.sock.mu.Unlock()
	c.tellSocket(true)
	if wasDown {
		c.log.Info("Slack approvals are back: approval requests have buttons again")
		c.announce(ctx, msgBack, work)
	}
}

func (c *Client) tellSocket(up bool) {
	if c.onSocket != nil {
		c.onSocket(up)
	}
}

// announce posts renewd's own words (escaped where they quote an error)
// to the channel, in the background: Socket Mode events are not held up
// by a post, and a post that fails is only logged.
func (c *Client) announce(ctx context.Context, msg string, work *sync.WaitGroup) {
	work.Go(func() {
		if err := c.pace(ctx, c.channel); err != nil {
			return
		}
		opts := []slackapi.MsgOption{slackapi.MsgOptionText(msg, false), slackapi.MsgOptionBlocks(section(msg))}
		if _, err := c.post(ctx, opts); err != nil && ctx.Err() == nil {
			c.log.Warn("could not tell the channel about Slack approvals", "err", err)
		}
	})
}

// fmtOutage is msgOutage with its reason escaped and capped.
func fmtOutage(reason string) string {
	return fmt.Sprintf(msgOutage, fitEscaped(reason, 200))
}
