package slack

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/slackfake"
)

// newCheckClient is a real Client on the fake, for the channel given.
func newCheckClient(t *testing.T, f *slackfake.Fake, channel, app string) *Client {
	t.Helper()
	c, err := New(Options{BotToken: botToken, AppToken: app, Channel: channel, APIURL: f.APIURL(),
		Approvers: []string{"U0ALICE01", "U0BOB0002"}, PostInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChecksAgainstTheFake(t *testing.T) {
	ctx := context.Background()
	f := newFakeSlack(t)
	f.SetBot("U0RENEWD1", "renewd")
	f.AddChannel(slackfake.Channel{ID: "C0REPORTS", Name: "renewals", Members: []string{"U0RENEWD1", "U0ALICE01"}})
	f.AddChannel(slackfake.Channel{ID: "C0ELSEWHR", Name: "general", Members: []string{"U0ALICE01"}})
	f.AddUser(slackfake.User{ID: "U0ALICE01", Name: "alice", RealName: "Alice"})
	f.AddUser(slackfake.User{ID: "U0GONE001", Name: "gone", Deleted: true})

	c := newCheckClient(t, f, "C0REPORTS", appToken)
	id, err := c.Identity(ctx)
	if err != nil || id.UserID != "U0RENEWD1" || id.TeamID == "" {
		t.Errorf("Identity = %+v, %v", id, err)
	}
	ch, err := c.ChannelInfo(ctx)
	if err != nil || !ch.IsMember || ch.Name != "renewals" {
		t.Errorf("ChannelInfo(C0REPORTS) = %+v, %v; want renewals with the bot in it", ch, err)
	}
	if ch, err := newCheckClient(t, f, "C0ELSEWHR", appToken).ChannelInfo(ctx); err != nil || ch.IsMember {
		t.Errorf("ChannelInfo(C0ELSEWHR) = %+v, %v; want the bot not in it", ch, err)
	}
	if _, err := newCheckClient(t, f, "C0NOWHERE", appToken).ChannelInfo(ctx); ErrorCode(err) != "channel_not_found" {
		t.Errorf("ChannelInfo of a missing channel: %v (code %q)", err, ErrorCode(err))
	}
	if u, err := c.UserInfo(ctx, "U0ALICE01"); err != nil || u.Name != "alice" || u.Deleted {
		t.Errorf("UserInfo(alice) = %+v, %v", u, err)
	}
	if u, err := c.UserInfo(ctx, "U0GONE001"); err != nil || !u.Deleted {
		t.Errorf("UserInfo(gone) = %+v, %v; want deleted", u, err)
	}
	if _, err := c.UserInfo(ctx, "U0NOBODY1"); ErrorCode(err) != "user_not_found" {
		t.Errorf("UserInfo of an unknown id: %v", err)
	}
	if got := c.Approvers(); !slices.Contains(got, "U0ALICE01") || len(got) != 2 {
		t.Errorf("Approvers = %v", got)
	}

	if err := c.OpenSocketMode(ctx); err != nil {
		t.Errorf("OpenSocketMode: %v", err)
	}
	if f.Connections() != 1 {
		t.Errorf("websockets opened: %d, want 1", f.Connections())
	}
	f.RevokeAppToken()
	if err := c.OpenSocketMode(ctx); ErrorCode(err) != "token_revoked" {
		t.Errorf("OpenSocketMode with a revoked token: %v", err)
	}
	if err := newCheckClient(t, f, "C0REPORTS", "").OpenSocketMode(ctx); !errors.Is(err, ErrNoAppToken) {
		t.Errorf("OpenSocketMode without an app token: %v", err)
	}
	for _, m := range []string{slackfake.PostMessage, slackfake.Update} {
		if n := len(f.CallsOf(m)); n != 0 {
			t.Errorf("the checks called %s %d times", m, n)
		}
	}
	if err := c.PostTest(ctx, "renewd doctor: a test message"); err != nil {
		t.Fatal(err)
	}
	if posts := f.CallsOf(slackfake.PostMessage); len(posts) != 1 || posts[0].Text != "renewd doctor: a test message" {
		t.Errorf("PostTest posted %+v", posts)
	}
	checkNoLeak(t, f)
}

func TestIdentityWithAWrongToken(t *testing.T) {
	f := newFakeSlack(t)
	c, err := New(Options{BotToken: "xoxb-canary-wrong-1a2b", Channel: "C0REPORTS", APIURL: f.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Identity(context.Background())
	if ErrorCode(err) != "invalid_auth" {
		t.Errorf("Identity with a wrong token: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-1a2b") {
		t.Errorf("the token leaked into the error: %v", err)
	}
	for _, l := range f.Leaks("xoxb-canary-wrong-1a2b") {
		t.Error(l)
	}
}
