package slackfake

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// ApprovalBlock is the block id Click puts on the clicked button (renewd's
// approval block); renewd reads only the action id and value.
const ApprovalBlock = "renewd_approval"

// socket plays Socket Mode on one connection: hello, then the queued
// envelopes; it records the acks. A frame it cannot write goes back to the
// queue for the next connection.
func (f *Fake) socket(conn *websocket.Conn) {
	f.mu.Lock()
	if f.closed || f.revoked {
		f.mu.Unlock()
		return // a websocket opened just as the token was revoked
	}
	f.conns[conn] = true
	f.opened++
	f.wakeLocked()
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.conns, conn)
		f.mu.Unlock()
	}()

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
				f.ack(ack.EnvelopeID)
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		case frame := <-f.frames:
			if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
				select {
				case f.frames <- frame:
				default:
				}
				return
			}
		}
	}
}

func (f *Fake) ack(envelopeID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acks = append(f.acks, envelopeID)
	if ch, ok := f.acked[envelopeID]; ok {
		close(ch)
		delete(f.acked, envelopeID)
	}
	f.wakeLocked()
}

// Acks returns the envelope ids the client acknowledged, in order.
func (f *Fake) Acks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.acks...)
}

// Connections returns how many Socket Mode websockets were opened so far.
func (f *Fake) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opened
}

// Click delivers, over Socket Mode, the block_actions envelope Slack sends
// when user clicks the button actionID holding value, and waits for the
// client to acknowledge it. It returns an error when no ack comes within
// Options.AckTimeout (no client connected, or the client ignored it).
// The envelope waits in a queue until a websocket is connected.
func (f *Fake) Click(user, actionID, value string) error {
	payload := map[string]any{
		"type":    "block_actions",
		"user":    map[string]any{"id": user, "name": "someone"},
		"team":    map[string]any{"id": "T0TEAM"},
		"channel": map[string]any{"id": "C0CHANNEL"},
		"actions": []map[string]any{{
			"type": "button", "action_id": actionID, "block_id": ApprovalBlock, "value": value,
			"action_ts": "1700000000.000001",
		}},
	}
	return f.Interactive(payload)
}

// Interactive delivers an interactive envelope holding payload and waits
// for its ack, as Click does.
func (f *Fake) Interactive(payload any) error {
	f.mu.Lock()
	f.nextEnv++
	id := fmt.Sprintf("env-%d", f.nextEnv)
	acked := make(chan struct{})
	f.acked[id] = acked
	f.mu.Unlock()
	raw, err := json.Marshal(map[string]any{
		"type": "interactive", "envelope_id": id, "accepts_response_payload": false, "payload": payload,
	})
	if err != nil {
		return fmt.Errorf("slackfake: marshal the envelope: %w", err)
	}
	deadline := time.NewTimer(f.opts.AckTimeout)
	defer deadline.Stop()
	select {
	case f.frames <- string(raw):
	case <-deadline.C:
		return fmt.Errorf("slackfake: envelope %s: the queue stayed full for %s", id, f.opts.AckTimeout)
	}
	select {
	case <-acked:
		return nil
	case <-deadline.C:
		return fmt.Errorf("slackfake: envelope %s not acknowledged within %s", id, f.opts.AckTimeout)
	}
}
