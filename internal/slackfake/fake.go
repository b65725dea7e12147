// Package slackfake is a fake Slack for renewd's tests: slack-go's slacktest
// server with the Web API methods renewd calls recorded and scriptable
// (chat.postMessage, chat.update, chat.postEphemeral,
// apps.connections.open) and a Socket Mode websocket that says hello,
// delivers interactive envelopes (Click) and records their acks.
//
// A *Fake listens on loopback (httptest, through slacktest): point the real
// slack-go client (renewd's internal/slack) at APIURL. Every Web API call is
// recorded with its method, Authorization header, raw body and the fields
// renewd sends (channel, ts, text, blocks, user), in the order they came;
// a method the fake does not play answers {"ok": true} and is recorded too.
// Tests script failures per method, any method (Fail: HTTP 500, 404, 429
// with Retry-After, any Slack error code, a dropped connection), or a
// whole outage of the chat methods (Outage, then Recover), and wait for
// what they expect with Await, never with a sleep.
//
// Options.PostInterval plays Slack's pace of about one message a second
// per channel: a chat.postMessage or chat.update within that time of the
// last accepted one in its channel is answered 429 with Retry-After, by
// the fake's clock (Options.Now), so a test on a simulated clock runs at
// full speed. RevokeAppToken and RestoreAppToken play an app token
// revoked at Slack (open websockets are closed, apps.connections.open
// answers token_revoked) and restored.
//
// Unlike slacktest's own chat.postMessage, whose timestamps are whole
// seconds, the fake gives every message a distinct ts.
//
// When Options name the tokens, the fake answers invalid_auth to a call
// that does not carry the right one, as Slack does; Leaks finds a token
// anywhere in a request but its Authorization header.
//
// Everything a Fake holds is guarded by one mutex: every method is safe for
// concurrent use, also while it serves requests.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// The Web API methods the fake plays (and those of directory.go). A method
// slacktest plays (bots.info, users.lookupByEmail...) gets slacktest's
// canned answer and is not recorded; any other is recorded and answered
// {"ok": true}, or as Fail scripts it.
const (
	PostMessage     = "chat.postMessage"
	Update          = "chat.update"
	PostEphemeral   = "chat.postEphemeral"
	ConnectionsOpen = "apps.connections.open"
)

// AnyChat, as Fail's method, scripts the next calls of any chat.* method
// (after the faults scripted for that method itself).
const AnyChat = "chat.*"

// DefaultAckTimeout bounds Click's wait for an acknowledgement.
const DefaultAckTimeout = 10 * time.Second

// Options configure a Fake.
type Options struct {
	// BotToken, when set, is the only token the chat.* methods accept.
	BotToken string
	// AppToken, when set, is the only token apps.connections.open accepts.
	AppToken string
	// AckTimeout bounds Click's wait for the client's ack; 0 means
	// DefaultAckTimeout.
	AckTimeout time.Duration
	// Now stamps the recorded calls and paces them; nil means time.Now.
	Now func() time.Time
	// PostInterval, when positive, is the least time between two accepted
	// chat.postMessage or chat.update calls in one channel; a call sooner
	// is answered 429 with a Retry-After of the whole seconds left (at
	// least 1).
	PostInterval time.Duration
}

// Call is one recorded Web API request and how the fake answered it.
type Call struct {
	Method string // "chat.postMessage"
	Auth   string // the Authorization header, as sent
	Body   string // the raw request body
	Query  string // the raw URL query
	Form   url.Values
	// Channel, Text, Blocks (raw JSON) and User are the form's fields; TS is
	// the message's: the one assigned by chat.postMessage, the one edited by
	// chat.update.
	Channel, TS, Text, Blocks, User string
	// OK says the fake answered ok; otherwise Status is the HTTP status
	// (200 with a Slack error Code, 429, 5xx).
	OK     bool
	Status int
	Code   string
	At     time.Time
}

// Fault is a scripted failure of one call. The zero Fault is a scripted
// success.
type Fault struct {
	// Status is the HTTP status (500, 429...); 0 with Code means HTTP 200
	// {"ok":false,"error":Code}.
	Status int
	// RetryAfter is the Retry-After header, in seconds, for a 429.
	RetryAfter string
	// Code is Slack's error code ("message_not_found", "invalid_auth").
	Code string
	// Drop closes the connection without an answer (a network error).
	Drop bool
}

// Times returns n copies of f, for Fail.
func Times(n int, f Fault) []Fault {
	out := make([]Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// Fake is a fake Slack. Create it with New and Close it.
type Fake struct {
	opts Options
	srv  *slacktest.Server

	mu      sync.Mutex
	calls   []Call
	changed chan struct{} // closed and replaced on every new call or ack
	faults  map[string][]Fault
	outage  *Fault
	nextTS  int
	nextEnv int

	lastPost map[string]time.Time // channel -> last accepted post or edit
	revoked  bool                 // the app token is revoked
	dir      directory            // channels and users (directory.go)

	frames chan string // envelopes waiting for a websocket to carry them
	acks   []string
	acked  map[string]chan struct{}
	conns  map[*websocket.Conn]bool
	opened int // websocket connections so far
	closed bool
}

// New starts a fake Slack on loopback.
func New(opts Options) *Fake {
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = DefaultAckTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &Fake{
		opts:     opts,
		changed:  make(chan struct{}),
		faults:   map[string][]Fault{},
		lastPost: map[string]time.Time{},
		frames:   make(chan string, 64),
		acked:    map[string]chan struct{}{},
		conns:    map[*websocket.Conn]bool{},
	}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		for _, m := range []string{PostMessage, Update, PostEphemeral, ConnectionsOpen, AuthTest, ConversationsInfo, UsersInfo} {
			c.Handle("/"+m, f.handler(m))
		}
		c.Handle("/ws", slacktest.Websocket(f.socket))
		c.Handle("/", func(w http.ResponseWriter, r *http.Request) {
			f.handler(strings.TrimPrefix(r.URL.Path, "/"))(w, r)
		})
	})
	f.srv.Start()
	return f
}

// APIURL is the Web API base URL, ending with "/".
func (f *Fake) APIURL() string { return f.srv.GetAPIURL() }

// Close closes the websockets and stops the server.
func (f *Fake) Close() {
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.srv.Stop()
}

// authorized reports whether the call carries the token method needs.
func (f *Fake) authorized(method string, r *http.Request, form url.Values) bool {
	want := f.opts.BotToken
	if method == ConnectionsOpen {
		want = f.opts.AppToken
	}
	if want == "" {
		return true
	}
	return r.Header.Get("Authorization") == "Bearer "+want || form.Get("token") == want
}

func (f *Fake) handler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(raw))
		rec := Call{
			Method: method, Auth: r.Header.Get("Authorization"), Body: string(raw), Query: r.URL.RawQuery,
			Form: form, Channel: form.Get("channel"), TS: form.Get("ts"), Text: form.Get("text"),
			Blocks: form.Get("blocks"), User: form.Get("user"), Status: http.StatusOK,
		}
		f.mu.Lock()
		rec.At = f.opts.Now()
		ft := f.takeFault(method)
		if ft == nil && !f.authorized(method, r, form) {
			ft = &Fault{Code: "invalid_auth"}
		}
		if ft == nil && method == ConnectionsOpen && f.revoked {
			ft = &Fault{Code: "token_revoked"}
		}
		if ft == nil {
			ft = f.directoryFault(method, form)
		}
		if ft == nil {
			ft = f.paced(method, rec.Channel, rec.At)
		}
		resp := map[string]any{"ok": true}
		switch {
		case ft != nil && ft.Drop:
			rec.Status = 0
		case ft != nil && ft.Status != 0:
			rec.Status = ft.Status
		case ft != nil:
			rec.Code = ft.Code
			resp = map[string]any{"ok": false, "error": ft.Code}
		default:
			rec.OK = true
			f.fillAnswer(method, r, &rec, resp)
		}
		f.record(rec)
		f.mu.Unlock()

		if ft != nil && ft.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if ft != nil && ft.Status != 0 {
			if ft.RetryAfter != "" {
				w.Header().Set("Retry-After", ft.RetryAfter)
			}
			w.WriteHeader(ft.Status)
			_, _ = io.WriteString(w, `<html>oops</html>`)
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	}
}

// fillAnswer completes a successful call's answer and record. f.mu is held.
func (f *Fake) fillAnswer(method string, r *http.Request, rec *Call, resp map[string]any) {
	switch method {
	case PostMessage:
		f.nextTS++
		rec.TS = fmt.Sprintf("1700000000.%06d", f.nextTS)
		resp["channel"], resp["ts"] = rec.Channel, rec.TS
	case Update:
		resp["channel"], resp["ts"], resp["text"] = rec.Channel, rec.TS, rec.Text
	case PostEphemeral:
		f.nextTS++
		resp["message_ts"] = fmt.Sprintf("1700000000.%06d", f.nextTS)
	case ConnectionsOpen:
		resp["url"] = slacktest.ServerWSFromContext(r.Context())
	default:
		f.fillDirectory(method, rec.Form, resp)
	}
}

// record appends a call and wakes Await. f.mu is held.
func (f *Fake) record(c Call) {
	f.calls = append(f.calls, c)
	f.wakeLocked()
}

func (f *Fake) wakeLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Calls returns every recorded call, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CallsOf returns the recorded calls of method, oldest first.
func (f *Fake) CallsOf(method string) []Call {
	return Only(f.Calls(), func(c Call) bool { return c.Method == method })
}

// Only returns the calls keep keeps, in order.
func Only(calls []Call, keep func(Call) bool) []Call {
	var out []Call
	for _, c := range calls {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// Await waits until cond holds for the calls recorded so far and returns
// them; cond is checked at once and after every new call or ack. It
// returns an error, with the calls, when timeout passes first.
func (f *Fake) Await(timeout time.Duration, cond func(calls []Call) bool) ([]Call, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		calls := append([]Call(nil), f.calls...)
		changed := f.changed
		f.mu.Unlock()
		if cond(calls) {
			return calls, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return calls, fmt.Errorf("slackfake: condition not met within %s (%d calls recorded)", timeout, len(calls))
		}
	}
}

// Leaks describes every recorded call that holds one of secrets anywhere
// but in its Authorization header: the body, the URL query. Empty secrets
// are ignored.
func (f *Fake) Leaks(secrets ...string) []string {
	var out []string
	for i, c := range f.Calls() {
		for _, s := range secrets {
			if s == "" {
				continue
			}
			if strings.Contains(c.Body, s) || strings.Contains(c.Query, s) {
				out = append(out, fmt.Sprintf("call %d (%s) holds a secret in its body or query", i, c.Method))
			}
		}
	}
	return out
}
