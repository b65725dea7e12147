package control

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzHandler sends arbitrary bytes, read as an HTTP request, through the
// control API's handler over an in-memory backend, once as a caller outside
// the control group and once as a member. It never panics; no answer is a
// 5xx (the backend does not fail); every answer of the API itself is JSON
// with a status it uses; a caller outside the group never gets a decision, a cycle or a
// backup made; and a decision reaches the backend only as "cli:USER" with
// clean text.
//
// Seed corpus: testdata/fuzz/FuzzHandler (a request to each route, with
// claims, notes, trailing data and control characters). Run it long with:
// go test -run '^$' -fuzz '^FuzzHandler$' -fuzztime 10m ./internal/control
func FuzzHandler(f *testing.F) {
	f.Add([]byte("POST /approve HTTP/1.1\r\nHost: renewd\r\nContent-Length: 38\r\n\r\n{\"approval\":\"abc\",\"by\":\"slack:U0BOSS\"}"))
	f.Add([]byte("GET /history?service=1&term=default%2F1%2F2026-01-01T00%3A00%3A00Z&limit=2 HTTP/1.1\r\nHost: renewd\r\n\r\n"))
	f.Add([]byte("POST /backup HTTP/1.1\r\nHost: renewd\r\nContent-Length: 19\r\n\r\n{\"path\":\"/tmp/a\"} x"))
	grp := &group{name: "ops", gid: 4242}
	outsider := Peer{UID: 1000, GID: 1000, PID: 1, Groups: []uint32{}}
	member := Peer{UID: 1000, GID: 1000, PID: 1, Groups: []uint32{4242}}
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, p := range []Peer{outsider, member} {
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
			if err != nil {
				return
			}
			b := &backend{}
			w := httptest.NewRecorder()
			newHandler(b, log, grp, time.Minute).ServeHTTP(w, req.WithContext(withPeer(req.Context(), p, nil)))
			if w.Code >= 500 {
				t.Fatalf("status %d for %q", w.Code, raw)
			}
			// The API's own answers are JSON; the mux answers other paths
			// and methods itself (404, 405, redirects, 400 for "*").
			if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				switch w.Code {
				case 200, 202, 400, 403, 413, 422:
				default:
					t.Fatalf("API status %d for %q", w.Code, raw)
				}
				if !json.Valid(w.Body.Bytes()) {
					t.Fatalf("answer %d is not JSON: %q", w.Code, w.Body.Bytes())
				}
			}
			decided, ran, backups := b.decisions(), b.runNow, b.backups
			if len(p.Groups) == 0 && (len(decided) > 0 || ran > 0 || len(backups) > 0) {
				t.Fatalf("a caller outside the group decided %v, ran %d cycles, backed up %v", decided, ran, backups)
			}
			for _, d := range decided {
				if err := checkText("decision", d, 1024); err != nil || !strings.Contains(d, " cli:") {
					t.Fatalf("decision %q reached the backend (%v)", d, err)
				}
			}
			for _, path := range backups {
				if err := checkText("path", path, maxPathLen); err != nil || !strings.HasPrefix(path, "/") {
					t.Fatalf("backup to %q reached the backend (%v)", path, err)
				}
			}
		}
	})
}
