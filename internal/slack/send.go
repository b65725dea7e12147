package slack

import (
	"context"

	slackapi "github.com/slack-go/slack"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
)

// notifyKind maps a report to its word in slack.notify. Failures and
// approvals are always posted, and so are notices: a notify rule is the
// operator asking for them.
func notifyKind(k renewd.ReportKind) string {
	switch k {
	case renewd.ReportFailed, renewd.ReportRefused, renewd.ReportUndelivered:
		return "failures"
	case renewd.ReportApprovalRequest, renewd.ReportApprovalUpdate:
		return "approvals"
	case renewd.ReportRenewed, renewd.ReportDelivered:
		return "renewals"
	case renewd.ReportSummary:
		return "summary"
	case renewd.ReportAutomatic:
		return "automatic"
	case renewd.ReportUncovered:
		return "uncovered"
	}
	return ""
}

// posts reports whether reports of kind k go to Slack.
func (c *Client) posts(k renewd.ReportKind) bool {
	switch kind := notifyKind(k); kind {
	case "failures", "approvals", "":
		return true
	default:
		return c.notify == nil || c.notify(kind)
	}
}

// Send posts the report to the channel or, when prev names a message posted
// before under the same key, updates that message in place (chat.update);
// when Slack no longer has it, it posts anew. A report of a kind the
// configuration does not post is acknowledged with a zero Ref and no call.
// Posts and updates are paced: at most one per PostInterval per channel.
// An approval request carries buttons only while Socket Mode is up (see
// Run); otherwise it says how to decide with the CLI.
//
// Everything from outside in the report is escaped and capped (see
// message.go); a reason longer than an excerpt is cut in Slack and logged
// whole.
//
// Errors (none holds a token): a *notify.RetryAfterError when Slack
// rate-limits (429); a *notify.PermanentError when no retry can help (see
// classify); another error for what may pass (5xx, network).
func (c *Client) Send(ctx context.Context, key string, prev notify.Ref, r renewd.Report) (notify.Ref, error) {
	if !c.posts(r.Kind) {
		c.log.Debug("report not posted to Slack: its kind is not in slack.notify", "key", key, "report", r.Kind)
		return notify.Ref{}, nil
	}
	shown, cut := forSlack(r)
	if cut {
		c.log.Info("report's reason cut to an excerpt in Slack; here it is whole", "key", key, "report", r.Kind, "reason", r.Reason)
	}
	opts := []slackapi.MsgOption{
		slackapi.MsgOptionText(fallback(shown), false),
		slackapi.MsgOptionBlocks(blocks(shown, c.buttonsNow())...),
	}
	if prev.Channel != "" && prev.TS != "" {
		if err := c.pace(ctx, prev.Channel); err != nil {
			return notify.Ref{}, err
		}
		ref, err := c.update(ctx, prev, opts)
		switch slackCode(err) {
		case "message_not_found", "channel_not_found", "cant_update_message", "edit_window_closed":
			c.log.Warn("Slack message to update is gone; posting a new one", "key", key, "channel", prev.Channel, "ts", prev.TS, "err", err)
		default:
			return ref, err
		}
	}
	if err := c.pace(ctx, c.channel); err != nil {
		return notify.Ref{}, err
	}
	return c.post(ctx, opts)
}

func (c *Client) post(ctx context.Context, opts []slackapi.MsgOption) (notify.Ref, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	channel, ts, err := c.api.PostMessageContext(ctx, c.channel, opts...)
	if err != nil {
		return notify.Ref{}, c.callError("chat.postMessage", err)
	}
	return notify.Ref{Channel: channel, TS: ts}, nil
}

func (c *Client) update(ctx context.Context, prev notify.Ref, opts []slackapi.MsgOption) (notify.Ref, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	channel, ts, _, err := c.api.UpdateMessageContext(ctx, prev.Channel, prev.TS, opts...)
	if err != nil {
		return notify.Ref{}, c.callError("chat.update", err)
	}
	ref := notify.Ref{Channel: channel, TS: ts}
	if ref.Channel == "" {
		ref.Channel = prev.Channel
	}
	if ref.TS == "" {
		ref.TS = prev.TS
	}
	return ref, nil
}
