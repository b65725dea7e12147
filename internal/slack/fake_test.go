package slack

import (
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/slackfake"
)

// Canary tokens: they must show up in Authorization headers and nowhere else.
const (
	botToken = "xoxb-canary-bot-7c1d2e3f4a5b"
	appToken = "xapp-canary-app-9f8e7d6c5b4a"
)

// newFakeSlack starts a fake Slack that accepts only the canary tokens.
func newFakeSlack(t *testing.T) *slackfake.Fake {
	t.Helper()
	f := slackfake.New(slackfake.Options{BotToken: botToken, AppToken: appToken})
	t.Cleanup(f.Close)
	return f
}

// checkNoLeak fails when a canary token appears anywhere in a recorded
// request but its Authorization header, or in texts.
func checkNoLeak(t *testing.T, f *slackfake.Fake, texts ...string) {
	t.Helper()
	for _, l := range f.Leaks(botToken, appToken, "canary") {
		t.Error(l)
	}
	for _, c := range f.Calls() {
		if c.Auth != "Bearer "+botToken && c.Auth != "Bearer "+appToken {
			t.Errorf("%s Authorization = %q, want a bearer canary token", c.Method, redactCanary(c.Auth))
		}
	}
	for _, s := range texts {
		if strings.Contains(s, "canary") {
			t.Errorf("a token leaked: %s", redactCanary(s))
		}
	}
}

func redactCanary(s string) string {
	return strings.NewReplacer(botToken, "<bot>", appToken, "<app>").Replace(s)
}
