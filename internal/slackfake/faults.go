package slackfake

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fail makes the next len(faults) calls of method (or of any chat method,
// with AnyChat) fail as scripted, after the faults already queued.
func (f *Fake) Fail(method string, faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = append(f.faults[method], faults...)
}

// Outage makes every chat.* call fail with ft until Recover. Scripted
// faults (Fail) come first.
func (f *Fake) Outage(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outage = &ft
}

// Recover ends an Outage.
func (f *Fake) Recover() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outage = nil
}

// RevokeAppToken plays an app token revoked at Slack: the open Socket Mode
// websockets are closed, and apps.connections.open answers token_revoked
// until RestoreAppToken.
func (f *Fake) RevokeAppToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = true
	for c := range f.conns {
		_ = c.Close()
	}
}

// RestoreAppToken ends RevokeAppToken: connections open again.
func (f *Fake) RestoreAppToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = false
}

// paced returns the 429 for a post or edit that comes too soon in its
// channel, or nil (and counts the call as the channel's last). f.mu is held.
func (f *Fake) paced(method, channel string, now time.Time) *Fault {
	if f.opts.PostInterval <= 0 || (method != PostMessage && method != Update) {
		return nil
	}
	if last, ok := f.lastPost[channel]; ok {
		if left := f.opts.PostInterval - now.Sub(last); left > 0 {
			secs := int((left + time.Second - 1) / time.Second)
			return &Fault{Status: http.StatusTooManyRequests, RetryAfter: fmt.Sprint(max(secs, 1))}
		}
	}
	f.lastPost[channel] = now
	return nil
}

// takeFault returns the fault for this call of method, nil for a success.
func (f *Fake) takeFault(method string) *Fault {
	keys := []string{method}
	if strings.HasPrefix(method, "chat.") {
		keys = append(keys, AnyChat)
	}
	for _, k := range keys {
		if q := f.faults[k]; len(q) > 0 {
			ft := q[0]
			f.faults[k] = q[1:]
			if ft == (Fault{}) {
				return nil
			}
			return &ft
		}
	}
	if f.outage != nil && strings.HasPrefix(method, "chat.") {
		ft := *f.outage
		return &ft
	}
	return nil
}
