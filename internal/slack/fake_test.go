package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// Canary tokens: they must show up in Authorization headers and nowhere else.
const (
	botToken = "xoxb-canary-bot-7c1d2e3f4a5b"
	appToken = "xapp-canary-app-9f8e7d6c5b4a"
)

// call is one recorded Web API request.
type call struct {
	Method string // "chat.postMessage"
	Auth   string // the Authorization header
	Body   string
	Form   url.Values
	OK     bool // Slack answered ok
}

// fault is a scripted failure for the next call of a method; the zero
// fault is a success.
type fault struct {
	Status     int    // HTTP status; 0 with Code means HTTP 200 {"ok":false,"error":Code}
	RetryAfter string // Retry-After header, for 429
	Code       string
}

// fakeSlack is slacktest's server with chat.postMessage, chat.update,
// chat.postEphemeral and apps.connections.open recorded and scriptable, and
// a Socket Mode websocket at /ws.
type fakeSlack struct {
	t   *testing.T
	srv *slacktest.Server

	mu     sync.Mutex
	calls  []call
	faults map[string][]fault
	nextTS int

	ephemerals chan call   // every chat.postEphemeral, as it comes
	toClient   chan string // frames the websocket sends
	acks       chan string // envelope ids the client acknowledged
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{
		t:          t,
		faults:     map[string][]fault{},
		toClient:   make(chan string, 16),
		ephemerals: make(chan call, 16),
		acks:       make(chan string, 16),
	}
	bind := func(c slacktest.Customize) {
		for _, m := range []string{"chat.postMessage", "chat.update", "chat.postEphemeral", "apps.connections.open"} {
			c.Handle("/"+m, f.handler(m))
		}
		c.Handle("/ws", slacktest.Websocket(f.socket))
	}
	f.srv = slacktest.NewTestServer(bind)
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.GetAPIURL() }

// fail makes the next len(fs) calls of method fail as scripted.
func (f *fakeSlack) fail(method string, fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = append(f.faults[method], fs...)
}

func (f *fakeSlack) handler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(raw))
		f.mu.Lock()
		var ft *fault
		if q := f.faults[method]; len(q) > 0 {
			ft = &q[0]
			f.faults[method] = q[1:]
		}
		if ft != nil && *ft == (fault{}) {
			ft = nil // a scripted success
		}
		rec := call{Method: method, Auth: r.Header.Get("Authorization"), Body: string(raw), Form: form, OK: ft == nil}
		f.calls = append(f.calls, rec)
		f.nextTS++
		ts := fmt.Sprintf("1700000000.%06d", f.nextTS)
		f.mu.Unlock()
		if method == "chat.postEphemeral" {
			f.ephemerals <- rec
		}

		w.Header().Set("Content-Type", "application/json")
		switch {
		case ft != nil && ft.Status != 0:
			if ft.RetryAfter != "" {
				w.Header().Set("Retry-After", ft.RetryAfter)
			}
			w.WriteHeader(ft.Status)
			_, _ = io.WriteString(w, `<html>oops</html>`)
			return
		case ft != nil:
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": ft.Code})
			return
		}
		resp := map[string]any{"ok": true}
		switch method {
		case "chat.postMessage":
			resp["channel"], resp["ts"] = "C0REPORTS", ts
		case "chat.update":
			resp["channel"], resp["ts"] = form.Get("channel"), form.Get("ts")
		case "chat.postEphemeral":
			resp["message_ts"] = ts
		case "apps.connections.open":
			resp["url"] = slacktest.ServerWSFromContext(r.Context())
		}
		_ = json.NewEncoder(w).Encode(resp)
	}
}

// socket plays Socket Mode: hello, then the queued frames; it records acks.
func (f *fakeSlack) socket(conn *websocket.Conn) {
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1}`)); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(msg, &ack) == nil && ack.EnvelopeID != "" {
				f.acks <- ack.EnvelopeID
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		case frame := <-f.toClient:
			if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
				return
			}
		}
	}
}

// click queues a block_actions envelope as Slack sends it for a button.
func (f *fakeSlack) click(envelope, user, actionID, value string) {
	payload := map[string]any{
		"type":    "block_actions",
		"user":    map[string]any{"id": user, "name": "someone"},
		"team":    map[string]any{"id": "T0TEAM"},
		"channel": map[string]any{"id": "C0REPORTS"},
		"actions": []map[string]any{{
			"type": "button", "action_id": actionID, "block_id": approvalBlock, "value": value,
		}},
	}
	raw, _ := json.Marshal(map[string]any{
		"type": "interactive", "envelope_id": envelope, "accepts_response_payload": false, "payload": payload,
	})
	f.toClient <- string(raw)
}

// callsOf returns the recorded calls of method.
func (f *fakeSlack) callsOf(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// checkNoLeak fails when a canary token appears anywhere in a recorded
// request but its Authorization header, or in text.
func (f *fakeSlack) checkNoLeak(t *testing.T, texts ...string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		for _, tok := range []string{botToken, appToken, "canary"} {
			if strings.Contains(c.Body, tok) {
				t.Errorf("%s body holds a token: %s", c.Method, c.Body)
			}
		}
		if c.Auth != "Bearer "+botToken && c.Auth != "Bearer "+appToken {
			t.Errorf("%s Authorization = %q, want a bearer canary token", c.Method, redactCanary(c.Auth))
		}
	}
	for _, s := range texts {
		if strings.Contains(s, "canary") {
			t.Errorf("a token leaked: %s", s)
		}
	}
}

func redactCanary(s string) string {
	return strings.NewReplacer(botToken, "<bot>", appToken, "<app>").Replace(s)
}
