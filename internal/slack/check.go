package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	slackapi "github.com/slack-go/slack"
)

// This file holds the read calls `renewd doctor` makes to prove a Slack
// setup (auth.test, conversations.info, users.info, and a Socket Mode
// connection opened and closed), and the one message `renewd doctor
// --slack-test` posts. Their errors are callError's: tokens redacted,
// Slack's error code kept (ErrorCode).

// Identity is who the bot token acts as (auth.test).
type Identity struct {
	UserID, User, TeamID, Team, BotID string
}

// Identity checks the bot token (auth.test) and says whose it is.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r, err := c.api.AuthTestContext(ctx)
	if err != nil {
		return Identity{}, c.callError("auth.test", err)
	}
	return Identity{UserID: r.UserID, User: r.User, TeamID: r.TeamID, Team: r.Team, BotID: r.BotID}, nil
}

// ChannelInfo is the channel reports go to, as conversations.info tells
// the bot.
type ChannelInfo struct {
	ID, Name                        string
	IsMember, IsArchived, IsPrivate bool
}

// ChannelInfo reads the configured channel (conversations.info, which
// needs the bot scope channels:read, or groups:read for a private one):
// whether it exists, and whether the bot is in it.
func (c *Client) ChannelInfo(ctx context.Context) (ChannelInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ch, err := c.api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: c.channel})
	if err != nil {
		return ChannelInfo{}, c.callError("conversations.info", err)
	}
	return ChannelInfo{ID: ch.ID, Name: ch.Name, IsMember: ch.IsMember, IsArchived: ch.IsArchived, IsPrivate: ch.IsPrivate}, nil
}

// UserInfo is a Slack user as users.info gives it.
type UserInfo struct {
	ID, Name, RealName string
	Deleted, IsBot     bool
}

// UserInfo reads one user (users.info, which needs the bot scope
// users:read). Slack answers user_not_found for an id it does not know.
func (c *Client) UserInfo(ctx context.Context, id string) (UserInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u, err := c.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return UserInfo{}, c.callError("users.info", err)
	}
	return UserInfo{ID: u.ID, Name: u.Name, RealName: u.RealName, Deleted: u.Deleted, IsBot: u.IsBot}, nil
}

// Approvers returns the configured approver ids, in no order.
func (c *Client) Approvers() []string {
	out := make([]string, 0, len(c.approvers))
	for id := range c.approvers {
		out = append(out, id)
	}
	return out
}

// ErrNoAppToken is OpenSocketMode's error without an app-level token.
var ErrNoAppToken = errors.New("no app-level token (slack.app_token_file)")

// OpenSocketMode proves the app token: it asks Slack for a Socket Mode
// URL (apps.connections.open), opens the WebSocket, waits for Slack's
// hello, and closes it. Nothing is acknowledged or handled meanwhile. It
// honours ctx, each step bounded by the call timeout.
func (c *Client) OpenSocketMode(ctx context.Context) error {
	if c.app == "" {
		return ErrNoAppToken
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	_, wsURL, err := c.api.StartSocketModeContext(ctx)
	if err != nil {
		return c.callError("apps.connections.open", err)
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, http.Header{})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		// The URL carries a ticket: it is left out of the error.
		return fmt.Errorf("slack socket mode: open the websocket: %s", c.redact(dialErrorText(err, resp)))
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	var hello struct {
		Type string `json:"type"`
	}
	if err := conn.ReadJSON(&hello); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("slack socket mode: no hello: %w", ctx.Err())
		}
		return fmt.Errorf("slack socket mode: read the hello: %s", c.redact(err.Error()))
	}
	if hello.Type != "hello" {
		return fmt.Errorf("slack socket mode: the first frame is %q, not hello", hello.Type)
	}
	_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	return nil
}

// dialErrorText describes a failed WebSocket dial without its URL.
func dialErrorText(err error, resp *http.Response) string {
	if resp != nil {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	var netErr interface{ Timeout() bool }
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "timed out"
	}
	return "the connection failed"
}

// PostTest posts text to the channel as it is (the caller escapes nothing:
// it is renewd's own), for `renewd doctor --slack-test`.
func (c *Client) PostTest(ctx context.Context, text string) error {
	if err := c.pace(ctx, c.channel); err != nil {
		return err
	}
	_, err := c.post(ctx, []slackapi.MsgOption{slackapi.MsgOptionText(text, false)})
	return err
}

// ErrorCode returns Slack's error code ("channel_not_found",
// "not_in_channel", "missing_scope") of an error from this package, or "".
func ErrorCode(err error) string { return slackCode(err) }
