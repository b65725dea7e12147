package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/renewd/renewd/internal/notify"
)

// DefaultDigestList is how many reports a digest names; the rest are
// counted ("and 280 more").
const DefaultDigestList = 20

// MaxDigestList bounds Options.DigestList: a digest of that many names at
// their longest still fits Slack's 50 blocks.
const MaxDigestList = 40

// maxDigestLine bounds one report's line in a digest.
const maxDigestLine = 300

var _ notify.DigestSender = (*Client)(nil)

// SendDigest posts one message that tells of many reports of one kind: a
// header (notify.DigestTitle), a line for each of the first DigestList
// reports (notify.DigestLine), "and N more", where to find the whole
// list, and a context line. A digest of a kind the configuration does not
// post is acknowledged with a zero Ref and no call. Errors are Send's.
func (c *Client) SendDigest(ctx context.Context, d notify.Digest) (notify.Ref, error) {
	if len(d.Reports) == 0 {
		return notify.Ref{}, nil
	}
	if !c.posts(d.Kind) {
		c.log.Debug("digest not posted to Slack: its kind is not in slack.notify", "report", d.Kind, "reports", len(d.Reports))
		return notify.Ref{}, nil
	}
	text, blks := digestMessage(d, c.digestList, c.now())
	if err := c.pace(ctx, c.channel); err != nil {
		return notify.Ref{}, err
	}
	return c.post(ctx, []slackapi.MsgOption{slackapi.MsgOptionText(text, false), slackapi.MsgOptionBlocks(blks...)})
}

// digestMessage renders a digest: its top-level text and its blocks.
func digestMessage(d notify.Digest, list int, at time.Time) (string, []slackapi.Block) {
	list = min(max(list, 1), MaxDigestList, len(d.Reports))
	title := notify.DigestTitle(d)
	out := []slackapi.Block{header(title)}
	lines := make([]string, 0, list)
	for _, r := range d.Reports[:list] {
		line, _ := excerpt(notify.DigestLine(r), maxDigestLine)
		lines = append(lines, "• "+fitEscaped(line, maxDigestLine))
	}
	// Pack the lines into sections of at most maxSection units.
	var cur []string
	n := 0
	for _, l := range lines {
		w := width(l) + 1
		if len(cur) > 0 && n+w > maxSection {
			out = append(out, section(strings.Join(cur, "\n")))
			cur, n = nil, 0
		}
		cur = append(cur, l)
		n += w
	}
	if len(cur) > 0 {
		out = append(out, section(strings.Join(cur, "\n")))
	}
	more := ""
	if rest := len(d.Reports) - list; rest > 0 {
		more = fmt.Sprintf("…and %d more. ", rest)
	}
	out = append(out, section(more+escape(notify.DigestHint(d))))
	out = append(out, contextBlock(fmt.Sprintf("renewd · digest of %d reports · %s", len(d.Reports), at.UTC().Format("2006-01-02 15:04 MST"))))

	var b strings.Builder
	b.WriteString(title)
	for _, r := range d.Reports[:list] {
		line, _ := excerpt(notify.DigestLine(r), maxDigestLine)
		b.WriteString("\n• " + line)
	}
	if more != "" {
		b.WriteString("\n" + more)
	}
	return fitEscaped(b.String(), maxText), out
}
