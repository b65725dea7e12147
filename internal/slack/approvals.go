package slack

import (
	"context"
	"errors"
	"regexp"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/renewd/renewd/internal/state"
)

// DecideFunc records a decision ("approved" or "denied") by actor
// ("slack:U123") on the approval with that id; renewal.Decide over the
// ledger is one. Its errors are matched with errors.Is against
// state.ErrNotFound, state.ErrSuperseded, state.ErrAlreadyDecided and
// state.ErrApprovalExpired.
type DecideFunc = func(ctx context.Context, approvalID, decision, actor string) error

// eventError renders the error an event carries, tokens redacted.
func (c *Client) eventError(evt socketmode.Event) string {
	switch d := evt.Data.(type) {
	case *slackapi.ConnectionErrorEvent:
		return c.redact(d.Error())
	case error:
		return c.redact(d.Error())
	}
	return string(evt.Type)
}

// click is what renewd reads from a button click: nothing more.
type click struct {
	decision   string // approved or denied
	approvalID string
	user       string
}

// clickOf finds a renewd button in the callback's actions.
func clickOf(cb slackapi.InteractionCallback) (click, bool) {
	for _, a := range cb.ActionCallback.BlockActions {
		if a == nil {
			continue
		}
		var decision string
		switch a.ActionID {
		case ActionApprove:
			decision = string(state.DecisionApproved)
		case ActionDeny:
			decision = string(state.DecisionDenied)
		default:
			continue
		}
		return click{decision: decision, approvalID: a.Value, user: cb.User.ID}, true
	}
	return click{}, false
}

// approvalIDShape bounds what is passed on as an approval id (renewd's are
// 26 base32 characters); anything else is unknown without asking.
var approvalIDShape = regexp.MustCompile(`^[a-z0-9]{1,64}$`)

// Refusals told to the clicker, ephemerally.
const (
	msgNotApprover = "You are not an approver for renewd; nothing was changed."
	msgUnknown     = "renewd does not know this approval (unknown id); nothing was changed."
	msgDecided     = "This approval was already decided; nothing was changed."
	msgSuperseded  = "This approval was replaced by a newer request; use the newest message. Nothing was changed."
	msgExpired     = "This approval expired; nothing was changed. renewd asks again on its next cycle if the service is still due."
	msgFailed      = "renewd could not record your decision; nothing was changed. The renewd logs say why."
)

func (c *Client) click(ctx context.Context, k click, decide DecideFunc) {
	log := c.log.With("approval_id", safeID(k.approvalID), "decision", k.decision, "user", safeID(k.user))
	if !c.approvers[k.user] {
		log.Warn("Slack click from a user who is not an approver; ignored")
		c.ephemeral(ctx, k.user, msgNotApprover)
		return
	}
	if !approvalIDShape.MatchString(k.approvalID) {
		log.Warn("Slack click with a malformed approval id; ignored")
		c.ephemeral(ctx, k.user, msgUnknown)
		return
	}
	err := decide(ctx, k.approvalID, k.decision, "slack:"+k.user)
	var reply string
	switch {
	case err == nil:
		log.Info("approval decided in Slack")
		return
	case errors.Is(err, state.ErrNotFound):
		reply = msgUnknown
	case errors.Is(err, state.ErrSuperseded):
		reply = msgSuperseded
	case errors.Is(err, state.ErrAlreadyDecided):
		reply = msgDecided
	case errors.Is(err, state.ErrApprovalExpired):
		reply = msgExpired
	default:
		log.Error("record a decision from Slack", "err", c.redact(err.Error()))
		c.ephemeral(ctx, k.user, msgFailed)
		return
	}
	log.Warn("Slack decision refused; nothing changed", "err", c.redact(err.Error()))
	c.ephemeral(ctx, k.user, reply)
}

// ephemeral tells user something only they see, in the report channel.
func (c *Client) ephemeral(ctx context.Context, user, msg string) {
	if user == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if _, err := c.api.PostEphemeralContext(ctx, c.channel, user, slackapi.MsgOptionText(msg, false)); err != nil {
		c.log.Warn("tell a Slack user why their click did nothing", "err", c.callError("chat.postEphemeral", err))
	}
}

var printable = regexp.MustCompile(`[^A-Za-z0-9_.:-]`)

// safeID makes a value from a payload fit for a log line.
func safeID(s string) string {
	s = printable.ReplaceAllString(s, "?")
	if len(s) > 64 {
		s = s[:63] + "…"
	}
	return s
}
