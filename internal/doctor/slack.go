package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/renewd/renewd/internal/slack"
)

// TestMessage is what --slack-test posts.
const TestMessage = ":white_check_mark: renewd doctor: a test message. renewd's reports and approval requests come to this channel."

// slack checks the bot token, the channel, the approvers and the app
// token; it posts only with Test.
func (r *run) slack(ctx context.Context) {
	s := r.setup.Slack
	if s == nil {
		r.add(Check{ID: "slack", Status: OK, Title: "Slack", Detail: "not configured: reports go to the log, approvals through `renewd approve`"})
		return
	}
	bot := Check{ID: "slack.bot", Title: "Slack bot token"}
	me, err := s.Client.Identity(ctx)
	if err != nil {
		bot.Status, bot.Detail = Fail, err.Error()
		bot.Fix = "put the app's Bot User OAuth Token (xoxb-...) in slack.bot_token_file (docs/operations.md, Slack app)"
		r.add(bot)
		return
	}
	bot.Status, bot.Detail = OK, fmt.Sprintf("works: the bot is %s (%s) in %s", quote(me.User), me.UserID, quote(me.Team))
	r.add(bot)
	r.add(channelCheck(ctx, s, me))
	r.add(approversCheck(ctx, s))
	r.add(socketCheck(ctx, s))
	if s.Test {
		c := Check{ID: "slack.test", Title: "Slack test message"}
		if err := s.Client.PostTest(ctx, TestMessage); err != nil {
			c.Status, c.Detail = Fail, err.Error()
		} else {
			c.Status, c.Detail = OK, "posted to "+s.Channel+": look for it"
		}
		r.add(c)
	}
}

// missingScope is the fix of a read the bot's scopes do not allow.
const missingScope = "add the bot scopes channels:read (groups:read for a private channel) and users:read, then reinstall the app"

func channelCheck(ctx context.Context, s *SlackSetup, me slack.Identity) Check {
	c := Check{ID: "slack.channel", Title: "Slack channel " + s.Channel}
	ch, err := s.Client.ChannelInfo(ctx)
	switch code := slack.ErrorCode(err); {
	case code == "missing_scope":
		c.Status, c.Detail, c.Fix = Warn, "not checked: the bot may not read channels (missing_scope)", missingScope
	case code == "channel_not_found":
		c.Status, c.Detail = Fail, "does not exist, or is private and the bot is not in it: renewd's reports would be refused (channel_not_found)"
		c.Fix = "set slack.channel to the channel's id (C0123..., not its name) and /invite the bot"
	case err != nil:
		c.Status, c.Detail = Fail, err.Error()
	case ch.IsArchived:
		c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("#%s is archived: renewd's reports would be refused", inertName(ch.Name)), "unarchive it, or name another channel"
	case !ch.IsMember:
		c.Status = Fail
		c.Detail = fmt.Sprintf("the bot %s is not in #%s: Slack refuses its posts there (not_in_channel)", quote(me.User), inertName(ch.Name))
		c.Fix = fmt.Sprintf("/invite @%s in #%s", inertName(me.User), inertName(ch.Name))
	default:
		c.Status, c.Detail = OK, fmt.Sprintf("#%s exists and the bot is in it", inertName(ch.Name))
	}
	return c
}

func approversCheck(ctx context.Context, s *SlackSetup) Check {
	c := Check{ID: "slack.approvers", Title: "Slack approvers"}
	if len(s.Approvers) == 0 {
		c.Status, c.Detail = OK, "none: approvals go through `renewd approve`"
		return c
	}
	var ok, bad, odd []string
	for _, id := range s.Approvers {
		u, err := s.Client.UserInfo(ctx, id)
		switch code := slack.ErrorCode(err); {
		case code == "missing_scope":
			c.Status, c.Detail, c.Fix = Warn, "not checked: the bot may not read users (missing_scope)", missingScope
			return c
		case code == "user_not_found":
			bad = append(bad, id+" is no user of the workspace")
		case err != nil:
			bad = append(bad, id+": "+err.Error())
		case u.Deleted:
			bad = append(bad, fmt.Sprintf("%s (%s) is deactivated", id, quote(u.Name)))
		case u.IsBot:
			odd = append(odd, fmt.Sprintf("%s (%s) is a bot", id, quote(u.Name)))
		default:
			ok = append(ok, fmt.Sprintf("%s (%s)", id, quote(u.Name)))
		}
	}
	switch {
	case len(bad) > 0:
		c.Status = Fail
		c.Detail = strings.Join(bad, "; ") + ": their clicks can never come, and a renewal held for them waits until it expires"
		c.Fix = "list the approvers' user ids (U0123..., from their Slack profile) in slack.approvers"
	case len(odd) > 0:
		c.Status, c.Detail = Warn, strings.Join(odd, "; ")+": a bot cannot click"
		c.Fix = "list people in slack.approvers"
	default:
		c.Status, c.Detail = OK, "all real users: "+strings.Join(ok, ", ")
	}
	return c
}

func socketCheck(ctx context.Context, s *SlackSetup) Check {
	c := Check{ID: "slack.socket_mode", Title: "Slack app token (Socket Mode)"}
	if !s.AppToken {
		c.Status, c.Detail = OK, "not configured: no rule asks for approvals in Slack"
		return c
	}
	err := s.Client.OpenSocketMode(ctx)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		c.Status, c.Detail = Fail, "Slack did not say hello in time: "+err.Error()
	case err != nil:
		c.Status, c.Detail = Fail, err.Error()
		c.Fix = "put an app-level token (xapp-...) with connections:write in slack.app_token_file, and enable Socket Mode"
	default:
		c.Status, c.Detail = OK, "a Socket Mode connection opened (then closed): approval buttons will reach renewd run"
	}
	return c
}

// inertName keeps a name Slack sent to the characters a channel or user
// name has; anything else becomes "?".
func inertName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '?'
	}, s)
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}

// windowText writes a window in days, as the config does.
func windowText(d time.Duration) string {
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}
