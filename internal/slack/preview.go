package slack

import (
	"fmt"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/renewd/renewd"
)

// Preview renders the Block Kit message Send would post for a report as
// plain text, block by block: the header, sections, fields as
// "label: value", buttons as [Approve] [Deny] (when buttons is set), and the
// context line. It is what `renewd demo` shows instead of posting.
func Preview(r renewd.Report, buttons bool) string {
	var b strings.Builder
	unescape := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
	text := func(t *slackapi.TextBlockObject) string {
		if t == nil {
			return ""
		}
		return unescape.Replace(t.Text)
	}
	for _, blk := range blocks(r, buttons) {
		switch v := blk.(type) {
		case *slackapi.HeaderBlock:
			fmt.Fprintf(&b, "*%s*\n", text(v.Text))
		case *slackapi.SectionBlock:
			if v.Text != nil {
				fmt.Fprintln(&b, text(v.Text))
			}
			for _, f := range v.Fields {
				label, value, _ := strings.Cut(text(f), "\n")
				fmt.Fprintf(&b, "  %-12s %s\n", strings.Trim(label, "*")+":", value)
			}
		case *slackapi.ActionBlock:
			var buttons []string
			for _, e := range v.Elements.ElementSet {
				if btn, ok := e.(*slackapi.ButtonBlockElement); ok {
					buttons = append(buttons, "["+text(btn.Text)+"]")
				}
			}
			fmt.Fprintln(&b, "  "+strings.Join(buttons, " "))
		case *slackapi.ContextBlock:
			for _, e := range v.ContextElements.Elements {
				if t, ok := e.(*slackapi.TextBlockObject); ok {
					fmt.Fprintln(&b, "  "+text(t))
				}
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
