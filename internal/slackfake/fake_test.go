package slackfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// post calls method as slack-go does (a form body) and returns the status,
// the Retry-After header and Slack's error code.
func post(t *testing.T, f *Fake, method, auth string, form url.Values) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.APIURL()+method, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), body.Error
}

func TestFaultsOutageAndRecord(t *testing.T) {
	f := New(Options{BotToken: "xoxb-1", AppToken: "xapp-1"})
	defer f.Close()
	msg := url.Values{"channel": {"C1"}, "text": {"hello"}}

	f.Fail(PostMessage, Fault{Status: 500}, Fault{})
	f.Fail(AnyChat, Times(2, Fault{Status: 429, RetryAfter: "3"})...)
	type answer struct {
		Status            int
		RetryAfter, Error string
	}
	var got []answer
	for range 4 {
		s, ra, code := post(t, f, PostMessage, "xoxb-1", msg)
		got = append(got, answer{s, ra, code})
	}
	s, ra, code := post(t, f, Update, "xoxb-1", url.Values{"channel": {"C1"}, "ts": {"1.2"}})
	got = append(got, answer{s, ra, code})
	f.Outage(Fault{Code: "fatal_error"})
	s, ra, code = post(t, f, PostEphemeral, "xoxb-1", url.Values{"channel": {"C1"}, "user": {"U1"}})
	got = append(got, answer{s, ra, code})
	f.Recover()
	s, ra, code = post(t, f, PostMessage, "xapp-1", msg) // the wrong token
	got = append(got, answer{s, ra, code})
	s, ra, code = post(t, f, ConnectionsOpen, "xapp-1", nil)
	got = append(got, answer{s, ra, code})
	want := []answer{
		{500, "", ""}, {200, "", ""}, {429, "3", ""}, {429, "3", ""}, {200, "", ""},
		{200, "", "fatal_error"}, {200, "", "invalid_auth"}, {200, "", ""},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("answers (-want +got):\n%s", d)
	}

	calls := f.Calls()
	if len(calls) != 8 || calls[1].TS == "" || calls[1].Channel != "C1" || calls[1].Text != "hello" || !calls[1].OK {
		t.Errorf("the successful post is recorded as %+v", calls[1])
	}
	if calls[4].TS != "1.2" || calls[5].User != "U1" || calls[0].OK || calls[0].Status != 500 {
		t.Errorf("record: %+v", calls)
	}
	if n := len(f.CallsOf(PostMessage)); n != 5 {
		t.Errorf("%d posts recorded, want 5", n)
	}
}

func TestLeaksAndAwait(t *testing.T) {
	f := New(Options{})
	defer f.Close()
	post(t, f, PostMessage, "xoxb-secret", url.Values{"text": {"fine"}})
	if l := f.Leaks("xoxb-secret"); len(l) != 0 {
		t.Errorf("a token in the header is a leak: %v", l)
	}
	post(t, f, PostMessage, "", url.Values{"token": {"xoxb-secret"}})
	if l := f.Leaks("xoxb-secret", ""); len(l) != 1 {
		t.Errorf("Leaks = %v, want the call with the token in its body", l)
	}
	if _, err := f.Await(20*time.Millisecond, func(c []Call) bool { return len(c) > 2 }); err == nil {
		t.Error("Await met a condition nothing met")
	}
	go func() { // not post: no t.Fatal off the test's goroutine
		if resp, err := http.Post(f.APIURL()+Update, "application/x-www-form-urlencoded", nil); err == nil {
			resp.Body.Close()
		}
	}()
	calls, err := f.Await(5*time.Second, func(c []Call) bool { return len(c) == 3 })
	if err != nil || calls[2].Method != Update {
		t.Errorf("Await = %v, %v", describeCalls(calls), err)
	}
}

func TestClickWithoutAClientTimesOut(t *testing.T) {
	f := New(Options{AckTimeout: 20 * time.Millisecond})
	defer f.Close()
	if err := f.Click("U1", "renewd_approve", "abc"); err == nil || !strings.Contains(err.Error(), "not acknowledged") {
		t.Errorf("Click with no client = %v", err)
	}
}

func describeCalls(calls []Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Method)
	}
	return out
}

// Posts and edits in one channel faster than PostInterval get 429 with the
// seconds left, by the fake's clock; other channels and ephemerals do not
// count; a 429 does not reset the pace.
func TestPostIntervalPerChannel(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f := New(Options{Now: func() time.Time { return now }, PostInterval: 2 * time.Second})
	defer f.Close()
	type answer struct {
		Status     int
		RetryAfter string
	}
	call := func(method, channel string) answer {
		s, ra, _ := post(t, f, method, "", url.Values{"channel": {channel}, "ts": {"1.1"}, "user": {"U1"}})
		return answer{s, ra}
	}
	var got []answer
	got = append(got, call(PostMessage, "C1"), call(PostMessage, "C2"), call(PostEphemeral, "C1"))
	now = now.Add(500 * time.Millisecond)
	got = append(got, call(Update, "C1"))
	now = now.Add(1400 * time.Millisecond)
	got = append(got, call(PostMessage, "C1"))
	now = now.Add(100 * time.Millisecond)
	got = append(got, call(Update, "C1"), call(PostMessage, "C1"))
	want := []answer{{200, ""}, {200, ""}, {200, ""}, {429, "2"}, {429, "1"}, {200, ""}, {429, "2"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("answers (-want +got):\n%s", d)
	}
}

// Any method can be scripted, and one the fake does not play is recorded.
func TestAnyMethodAndDrop(t *testing.T) {
	f := New(Options{})
	defer f.Close()
	f.Fail("conversations.join", Fault{Code: "is_archived"}, Fault{Status: 404})
	for _, want := range []string{"is_archived", ""} {
		if _, _, code := post(t, f, "conversations.join", "", nil); code != want {
			t.Errorf("conversations.join: %q, want %q", code, want)
		}
	}
	if s, _, code := post(t, f, "chat.delete", "", nil); s != 200 || code != "" {
		t.Errorf("an unscripted method: %d %q, want 200 ok", s, code)
	}
	if n := len(f.CallsOf("conversations.join")); n != 2 {
		t.Errorf("%d conversations.join calls recorded, want 2", n)
	}
	f.Fail(PostMessage, Fault{Drop: true})
	req, _ := http.NewRequest(http.MethodPost, f.APIURL()+PostMessage, strings.NewReader("channel=C1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("a dropped call answered %s", resp.Status)
	}
}

// A revoked app token closes the websockets and is refused until restored.
func TestRevokeAndRestoreAppToken(t *testing.T) {
	f := New(Options{AppToken: "xapp-1"})
	defer f.Close()
	f.RevokeAppToken()
	if _, _, code := post(t, f, ConnectionsOpen, "xapp-1", nil); code != "token_revoked" {
		t.Errorf("revoked: %q, want token_revoked", code)
	}
	f.RestoreAppToken()
	if _, _, code := post(t, f, ConnectionsOpen, "xapp-1", nil); code != "" {
		t.Errorf("restored: %q, want ok", code)
	}
}
