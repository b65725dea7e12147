package slack

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
)

// The action ids of the approval buttons, and the block that holds them.
const (
	ActionApprove = "renewd_approve"
	ActionDeny    = "renewd_deny"
	approvalBlock = "renewd_approval"
)

// Slack's limits on block text.
const (
	maxHeader      = 150
	maxField       = 2000
	maxFieldsBlock = 10
)

// blocks renders a report as Block Kit: a header with notify.Title, the
// decision line of an approval update, notify.Fields as mrkdwn fields, the
// Approve and Deny buttons of an approval request, and a context line with
// the term and the time.
func blocks(r renewd.Report, buttons bool) []slackapi.Block {
	out := []slackapi.Block{
		slackapi.NewHeaderBlock(slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(notify.Title(r), maxHeader), false, false)),
	}
	if r.Kind == renewd.ReportApprovalUpdate {
		out = append(out, slackapi.NewSectionBlock(mrkdwn(decisionLine(r)), nil, nil))
	}
	var fields []*slackapi.TextBlockObject
	for _, kv := range notify.Fields(r) {
		if kv[0] == "Term" {
			continue // in the context line
		}
		value := escape(kv[1])
		if kv[0] == "Decided by" {
			value = actor(kv[1])
		}
		fields = append(fields, mrkdwn(truncate("*"+escape(kv[0])+"*\n"+value, maxField)))
	}
	for len(fields) > 0 {
		n := min(len(fields), maxFieldsBlock)
		out = append(out, slackapi.NewSectionBlock(nil, fields[:n], nil))
		fields = fields[n:]
	}
	if r.Kind == renewd.ReportApprovalRequest && r.ApprovalID != "" {
		if buttons {
			out = append(out, approvalButtons(r.ApprovalID))
		} else {
			out = append(out, slackapi.NewSectionBlock(mrkdwn(fmt.Sprintf(
				"Decide on the renewd host: `renewd approve %s` or `renewd deny %s`", escape(r.Term), escape(r.Term))), nil, nil))
		}
	}
	out = append(out, slackapi.NewContextBlock("", mrkdwn(contextLine(r))))
	return out
}

// approvalButtons holds Approve and Deny; their value is the opaque
// approval id and nothing else.
func approvalButtons(id string) *slackapi.ActionBlock {
	approve := slackapi.NewButtonBlockElement(ActionApprove, id, plain("Approve")).WithStyle(slackapi.StylePrimary)
	deny := slackapi.NewButtonBlockElement(ActionDeny, id, plain("Deny")).WithStyle(slackapi.StyleDanger).
		WithConfirm(slackapi.NewConfirmationBlockObject(
			plain("Deny this renewal?"),
			plain("renewd will not renew this service for this term. The service may expire."),
			plain("Deny"),
			plain("Cancel"),
		))
	return slackapi.NewActionBlock(approvalBlock, approve, deny)
}

// decisionLine is an approval update's final state, in mrkdwn.
func decisionLine(r renewd.Report) string {
	by := actor(r.DecidedBy)
	switch r.Decision {
	case "approved":
		return ":white_check_mark: Approved by " + by
	case "denied":
		return ":no_entry: Denied by " + by
	case "expired":
		return ":hourglass: Expired: nobody answered in time; nothing was paid"
	case "paid":
		return ":white_check_mark: Approved by " + by + " — paid"
	case "failed":
		return ":x: Approved by " + by + " — failed"
	}
	return "Updated"
}

func contextLine(r renewd.Report) string {
	var parts []string
	if r.Term != "" {
		parts = append(parts, "term `"+escape(r.Term)+"`")
	}
	if !r.At.IsZero() {
		parts = append(parts, r.At.UTC().Format("2006-01-02 15:04 MST"))
	}
	return "renewd · " + strings.Join(parts, " · ")
}

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,30}$`)

// actor renders who decided: "slack:U123" as a mention <@U123>, anything
// else ("cli:alice") as escaped text, "" as "someone".
func actor(s string) string {
	if id, ok := strings.CutPrefix(s, "slack:"); ok && slackUserID.MatchString(id) {
		return "<@" + id + ">"
	}
	if s == "" {
		return "someone"
	}
	return escape(s)
}

// escape makes s literal in mrkdwn: Slack wants &, < and > escaped.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, false, false)
}
