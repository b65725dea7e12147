package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// backend is a Backend that records what it is asked.
type backend struct {
	mu       sync.Mutex
	filters  []state.HistoryFilter
	decided  []string
	runNow   int
	backups  []string
	decideFn func(approval string) error
}

func (b *backend) Status() (Status, error) {
	return Status{Schedule: "@every 6h", Terms: []state.Record{{Status: state.StatusDue, ServiceName: "vps-a"}}}, nil
}

func (b *backend) History(f state.HistoryFilter) ([]state.Event, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.filters = append(b.filters, f)
	return []state.Event{{Seq: 1, Term: "default/1/2026-01-01", To: state.StatusDue}}, nil
}

func (b *backend) Decide(approval, decision, actor string) (state.Record, error) {
	if b.decideFn != nil {
		if err := b.decideFn(approval); err != nil {
			return state.Record{}, err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.decided = append(b.decided, approval+" "+decision+" "+actor)
	return state.Record{Status: state.Status(decision)}, nil
}

func (b *backend) RunNow() { b.mu.Lock(); b.runNow++; b.mu.Unlock() }

func (b *backend) Unreadable() []state.UnreadableRecord {
	return []state.UnreadableRecord{{Bucket: "terms", Key: "default/9/2026-01-01T00:00:00Z", Err: "bad"}}
}

func (b *backend) decisions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.decided...)
}

func (b *backend) Backup(path string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backups = append(b.backups, path)
	return nil
}

func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "c.sock")
}

// startServer starts a server on a new socket; without opts its callers
// are "alice" (uid 1000, gid 1000).
func startServer(t *testing.T, b Backend, opts ...Options) (*Server, *Client) {
	t.Helper()
	path := socketPath(t)
	o := Options{PeerCred: fakePeer(Peer{UID: 1000, GID: 1000, PID: 42, Groups: []uint32{}})}
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := Start(path, b, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	c, err := Dial(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestClientServer(t *testing.T) {
	b := &backend{decideFn: func(a string) error {
		switch a {
		case "gone":
			return fmt.Errorf("approval gone: %w", state.ErrNotFound)
		case "late":
			return fmt.Errorf("approval late: %w", state.ErrApprovalExpired)
		}
		return nil
	}}
	s, c := startServer(t, b)
	ctx := t.Context()

	fi, err := os.Stat(s.Path())
	if err != nil || fi.Mode().Perm() != SocketMode || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("socket mode = %v (%v), want a socket with %v", fi.Mode(), err, SocketMode)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Schedule != "@every 6h" || len(st.Terms) != 1 || st.Terms[0].ServiceName != "vps-a" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	term := renewd.Term{Account: "default", ServiceID: 7, Expiration: renewd.DateOf(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))}.String()
	if _, err := c.History(ctx, state.HistoryFilter{ServiceID: 7, Term: term, Limit: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.History(ctx, state.HistoryFilter{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]state.HistoryFilter{{ServiceID: 7, Term: term, Limit: 5}, {}}, b.filters); diff != "" {
		t.Errorf("history filters (-want +got):\n%s", diff)
	}
	if rec, err := c.Decide(ctx, "abc", string(state.DecisionApproved), ""); err != nil || rec.Status != "approved" {
		t.Errorf("approve = %+v, %v", rec, err)
	}
	if _, err := c.Decide(ctx, "abc", string(state.DecisionDenied), "on call"); err != nil {
		t.Error(err)
	}
	alice := userName(1000)
	if diff := cmp.Diff([]string{"abc approved cli:" + alice, "abc denied cli:" + alice + " (note: on call)"}, b.decided); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	for approval, code := range map[string]int{"gone": http.StatusNotFound, "late": http.StatusConflict} {
		_, err := c.Decide(ctx, approval, string(state.DecisionApproved), "cli:x")
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != code || ae.Message != "approval "+approval+": "+map[string]string{"gone": state.ErrNotFound.Error(), "late": state.ErrApprovalExpired.Error()}[approval] {
			t.Errorf("Decide(%s) = %v, want a %d with the backend's message", approval, err, code)
		}
	}
	if _, err := c.Decide(ctx, "abc", "maybe", "cli:x"); err == nil {
		t.Error("Decide(maybe) succeeded")
	}
	if err := c.RunNow(ctx); err != nil || b.runNow != 1 {
		t.Errorf("RunNow = %v, backend asked %d times", err, b.runNow)
	}
	if us, err := c.Unreadable(ctx); err != nil || len(us) != 1 || us[0].Key != "default/9/2026-01-01T00:00:00Z" {
		t.Errorf("Unreadable = %+v, %v", us, err)
	}
	wd, _ := os.Getwd()
	if err := c.Backup(ctx, "copy.db"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{filepath.Join(wd, "copy.db")}, b.backups); diff != "" {
		t.Errorf("backup paths (-want +got):\n%s", diff)
	}

	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after Close: %v, want removed", err)
	}
	if err := c.RunNow(ctx); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("RunNow after Close = %v, want ErrNoDaemon", err)
	}
}

func TestServerRefusesBadRequests(t *testing.T) {
	_, c := startServer(t, &backend{})
	ctx := t.Context()
	for _, tt := range []struct {
		name, method, route string
		body                any
	}{
		{"relative backup path", http.MethodPost, "/backup", backupRequest{Path: "rel.db"}},
		{"approve without approval", http.MethodPost, "/approve", decideRequest{Note: "x"}},
		{"unknown field", http.MethodPost, "/deny", map[string]string{"approval": "x", "by": "y", "extra": "z"}},
		{"bad service", http.MethodGet, "/history?service=abc", nil},
		{"bad term", http.MethodGet, "/history?term=nope", nil},
		{"bad limit", http.MethodGet, "/history?limit=-1", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := c.do(ctx, tt.method, tt.route, tt.body, nil)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != http.StatusBadRequest {
				t.Errorf("%s %s = %v, want 400", tt.method, tt.route, err)
			}
		})
	}
}

func TestStartHandlesLeftovers(t *testing.T) {
	t.Run("stale socket is replaced", func(t *testing.T) {
		path := socketPath(t)
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		ln.Close() // a daemon that died: the file stays, nobody listens
		if _, err := Dial(t.Context(), path); !errors.Is(err, ErrNoDaemon) {
			t.Errorf("Dial on a stale socket = %v, want ErrNoDaemon", err)
		}
		s, err := Start(path, &backend{}, Options{})
		if err != nil {
			t.Fatalf("Start over a stale socket: %v", err)
		}
		s.Close(context.Background())
	})
	t.Run("a live socket is not stolen", func(t *testing.T) {
		s, c := startServer(t, &backend{})
		if _, err := Start(s.Path(), &backend{}, Options{}); err == nil {
			t.Error("Start over a live socket succeeded")
		}
		if err := c.RunNow(t.Context()); err != nil {
			t.Errorf("the first server stopped answering: %v", err)
		}
	})
	t.Run("a regular file is not removed", func(t *testing.T) {
		path := socketPath(t)
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Start(path, &backend{}, Options{}); err == nil {
			t.Error("Start over a regular file succeeded")
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("the regular file: %v", err)
		}
	})
	t.Run("no socket, no daemon", func(t *testing.T) {
		if _, err := Dial(t.Context(), socketPath(t)); !errors.Is(err, ErrNoDaemon) {
			t.Errorf("Dial = %v, want ErrNoDaemon", err)
		}
		if _, err := Dial(t.Context(), ""); !errors.Is(err, ErrNoDaemon) {
			t.Errorf("Dial(\"\") = %v, want ErrNoDaemon", err)
		}
	})
}
