package slack

import (
	"fmt"
	"regexp"
	"strings"

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

// Everything in a report may come from outside (a service's name is the
// customer's, a reason may quote an OVH error body, a rule's name is the
// config's): every piece of it goes through escape or fitEscaped for
// mrkdwn and the top-level text, and through fitPlain for plain_text.
// Only renewd's own markup is added around it.

// forSlack is r as Slack shows it: its reason cut to an excerpt. It
// reports whether the reason was cut, so that the caller logs it whole.
func forSlack(r renewd.Report) (renewd.Report, bool) {
	var cut bool
	r.Reason, cut = excerpt(r.Reason, reasonExcerpt)
	return r, cut
}

// fallback is the top-level text: the notification and what clients
// without Block Kit show. It is notify.Text, escaped and capped.
func fallback(r renewd.Report) string {
	return fitEscaped(notify.Text(r), maxText)
}

// blocks renders a report (already forSlack) as Block Kit: a header with
// notify.Title, the decision line of an approval update, notify.Fields as
// mrkdwn fields, the Approve and Deny buttons of an approval request (or,
// without buttons, how to decide with the CLI), and a context line with
// the term and the time.
func blocks(r renewd.Report, buttons bool) []slackapi.Block {
	out := []slackapi.Block{header(notify.Title(r))}
	if r.Kind == renewd.ReportApprovalUpdate {
		out = append(out, section(decisionLine(r)))
	}
	var fields []*slackapi.TextBlockObject
	for _, kv := range notify.Fields(r) {
		if kv[0] == "Term" {
			continue // in the context line
		}
		label := "*" + escape(kv[0]) + "*\n"
		value := fitEscaped(kv[1], min(maxValue, maxField-width(label)))
		if kv[0] == "Decided by" {
			value = actor(kv[1])
		}
		fields = append(fields, mrkdwn(label+value))
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
			term := fitEscaped(r.Term, maxValue)
			out = append(out, section(fmt.Sprintf(
				"Decide on the renewd host: `renewd approve %s` or `renewd deny %s`", term, term)))
		}
	}
	out = append(out, contextBlock(contextLine(r)))
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

// contextLine is the term and the time, in mrkdwn.
func contextLine(r renewd.Report) string {
	var parts []string
	if r.Term != "" {
		parts = append(parts, "term `"+fitEscaped(r.Term, maxValue)+"`")
	}
	if !r.At.IsZero() {
		parts = append(parts, r.At.UTC().Format("2006-01-02 15:04 MST"))
	}
	return "renewd · " + strings.Join(parts, " · ")
}

var slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,30}$`)

// actor renders who decided: "slack:U123" as a mention <@U123> (renewd's
// own markup, for an id of Slack's shape only), anything else
// ("cli:alice") as escaped text, "" as "someone".
func actor(s string) string {
	if id, ok := strings.CutPrefix(s, "slack:"); ok && slackUserID.MatchString(id) {
		return "<@" + id + ">"
	}
	if s == "" {
		return "someone"
	}
	return fitEscaped(s, 100)
}

// header is a header block of outside text.
func header(s string) *slackapi.HeaderBlock {
	return slackapi.NewHeaderBlock(plain(fitPlain(s, maxHeader)))
}

// section is a section block of renewd's mrkdwn, whose outside parts are
// escaped already; it is capped all the same.
func section(s string) *slackapi.SectionBlock {
	return slackapi.NewSectionBlock(mrkdwn(capMarkup(s, maxSection)), nil, nil)
}

func contextBlock(s string) *slackapi.ContextBlock {
	return slackapi.NewContextBlock("", mrkdwn(capMarkup(s, maxContext)))
}

// capMarkup cuts mrkdwn that is escaped already, at a character boundary
// and never inside an entity such as &amp;.
func capMarkup(s string, limit int) string {
	if width(s) <= limit {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n+width(string(r)) > limit-1 {
			out := b.String()
			if amp := strings.LastIndexByte(out, '&'); amp >= 0 && !strings.Contains(out[amp:], ";") {
				out = out[:amp] // a cut entity
			}
			return trimJoin(out) + "…"
		}
		b.WriteRune(r)
		n += width(string(r))
	}
	return b.String()
}

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, false, false)
}
