package control

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/state"
)

// fakePeer is a PeerCredFunc that says every caller is p.
func fakePeer(p Peer) PeerCredFunc {
	return func(net.Conn) (Peer, error) { return p, nil }
}

// someGroup returns a group that exists on this machine and that the user
// "nobody" is not in, and nobody's uid; the test is skipped without them.
func someGroup(t *testing.T) (name string, gid uint32, nobody uint32) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	for _, n := range []string{"daemon", "adm", "sys", "users", "staff"} {
		g, err := user.LookupGroup(n)
		if err != nil || g.Gid == u.Gid {
			continue
		}
		id, _ := strconv.ParseUint(g.Gid, 10, 32)
		return n, uint32(id), uint32(uid)
	}
	t.Skip("no usable group on this machine")
	return "", 0, 0
}

// TestDecisionsAreRecordedAsTheCaller: whatever name the request claims,
// the decision is recorded under the user the kernel names, and with a
// control group only root and its members (by primary or supplementary
// group) may decide at all; reading stays open.
func TestDecisionsAreRecordedAsTheCaller(t *testing.T) {
	grp, gid, nobody := someGroup(t)
	for _, tc := range []struct {
		name   string
		peer   Peer
		actor  string // "" when refused
		reason string
	}{
		{"member by a supplementary group", Peer{UID: nobody, GID: nobody, PID: 7, Groups: []uint32{4242, gid}}, "cli:nobody", ""},
		{"member by the primary group", Peer{UID: nobody, GID: gid, PID: 7, Groups: []uint32{}}, "cli:nobody", ""},
		{"root", Peer{UID: 0, GID: 0, PID: 7, Groups: []uint32{}}, "cli:root", ""},
		{"not a member", Peer{UID: nobody, GID: nobody, PID: 7, Groups: []uint32{4242}}, "", "neither root nor a member of control_group " + grp},
		{"an unknown user in the group", Peer{UID: 54321, GID: gid, PID: 7, Groups: []uint32{}}, "cli:uid:54321", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &backend{}
			_, c := startServer(t, b, Options{Group: grp, PeerCred: fakePeer(tc.peer)})
			ctx := t.Context()
			// The request claims to be the boss, in the field older clients sent.
			err := c.do(ctx, http.MethodPost, "/approve", map[string]string{"approval": "abc", "by": "slack:U0BOSS"}, nil)
			got := b.decisions()
			if tc.actor == "" {
				var ae *APIError
				if !errors.As(err, &ae) || ae.Code != http.StatusForbidden || !strings.Contains(ae.Message, tc.reason) {
					t.Fatalf("approve = %v, want 403 saying %q", err, tc.reason)
				}
				if len(got) != 0 {
					t.Fatalf("a refused caller's decision reached the ledger: %v", got)
				}
				for _, what := range []error{c.RunNow(ctx), c.Backup(ctx, "/tmp/x.db")} {
					if !errors.As(what, &ae) || ae.Code != http.StatusForbidden {
						t.Fatalf("run-now/backup by a non-member = %v, want 403", what)
					}
				}
				if _, err := c.Status(ctx); err != nil {
					t.Fatalf("status by a non-member = %v; reading is open", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"abc approved " + tc.actor}; !slices.Equal(got, want) {
				t.Fatalf("decisions = %q, want %q", got, want)
			}
		})
	}
	t.Run("an unknown group stops Start", func(t *testing.T) {
		if _, err := Start(socketPath(t), &backend{}, Options{Group: "no-such-group-renewd"}); err == nil || !strings.Contains(err.Error(), "no-such-group-renewd") {
			t.Fatalf("Start with an unknown group = %v", err)
		}
	})
	t.Run("a caller that cannot be identified cannot decide", func(t *testing.T) {
		b := &backend{}
		_, c := startServer(t, b, Options{PeerCred: func(net.Conn) (Peer, error) { return Peer{}, errors.New("no creds") }})
		_, err := c.Decide(t.Context(), "abc", string(state.DecisionApproved), "")
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != http.StatusForbidden || len(b.decisions()) != 0 {
			t.Fatalf("approve = %v, want 403 and no decision", err)
		}
	})
}

// TestRealPeerCredentials reads the kernel's SO_PEERCRED and SO_PEERGROUPS
// of this test process over a real unix socket, and the server records a
// decision under this process's user.
func TestRealPeerCredentials(t *testing.T) {
	path := socketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := net.Dial("unix", path); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1)) // until the test closes its end
		}
	}()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p, err := SocketPeer(conn)
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := os.Getgroups()
	want := Peer{UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), PID: int32(os.Getpid())}
	if p.UID != want.UID || p.GID != want.GID || p.PID != want.PID {
		t.Fatalf("SocketPeer = %+v, want uid %d gid %d pid %d", p, want.UID, want.GID, want.PID)
	}
	if p.Groups != nil { // nil only on kernels without SO_PEERGROUPS
		for _, g := range groups {
			if !slices.Contains(p.Groups, uint32(g)) {
				t.Fatalf("SocketPeer groups = %v, want those of os.Getgroups %v", p.Groups, groups)
			}
		}
	}

	b := &backend{}
	s, err := Start(socketPath(t), b, Options{}) // the real SocketPeer
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	c, err := Dial(t.Context(), s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.do(t.Context(), http.MethodPost, "/deny", map[string]string{"approval": "abc", "by": "cli:someone-else"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := b.decisions(), []string{"abc denied cli:" + userName(uint32(os.Getuid()))}; !slices.Equal(got, want) {
		t.Fatalf("decisions = %q, want %q", got, want)
	}
}

// TestUnsafeTextIsRefused: a newline (a forged log line), an escape (a
// driven terminal) or a bidirectional override in any free-text field is a
// 400 naming the field, and nothing is decided or written.
func TestUnsafeTextIsRefused(t *testing.T) {
	b := &backend{}
	_, c := startServer(t, b)
	ctx := t.Context()
	for _, tc := range []struct {
		name, route, field string
		body               any
	}{
		{"newline in the claimed name", "/approve", "by", map[string]string{"approval": "abc", "by": "alice\nlevel=INFO msg=\"approved by boss\""}},
		{"newline in the note", "/approve", "note", decideRequest{Approval: "abc", Note: "ok\r\nforged"}},
		{"escape in the approval", "/deny", "approval", decideRequest{Approval: "abc\x1b[2J"}},
		{"bidi override in the note", "/approve", "note", decideRequest{Approval: "abc", Note: "nice\u202eevil"}},
		{"invalid UTF-8 in the note", "/approve", "note", decideRequest{Approval: "abc", Note: "a\xffb"}},
		{"a long note", "/approve", "note", decideRequest{Approval: "abc", Note: strings.Repeat("x", 65)}},
		{"newline in a backup path", "/backup", "path", backupRequest{Path: "/tmp/a\nb.db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.do(ctx, http.MethodPost, tc.route, tc.body, nil)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != http.StatusBadRequest || !strings.Contains(ae.Message, `field "`+tc.field+`"`) {
				t.Fatalf("%s = %v, want 400 naming field %q", tc.route, err, tc.field)
			}
		})
	}
	err := c.do(ctx, http.MethodGet, "/history?term=acme%2F1%2F2026-01-01%0Aforged", nil, nil)
	if ae := (*APIError)(nil); !errors.As(err, &ae) || ae.Code != http.StatusBadRequest || !strings.Contains(ae.Message, `field "term"`) {
		t.Fatalf("history with a newline in term = %v, want 400 naming the field", err)
	}
	if got := b.decisions(); len(got) != 0 || len(b.backups) != 0 {
		t.Fatalf("refused requests reached the backend: %v %v", got, b.backups)
	}
	// Plain text, spaces and accents included, passes.
	if _, err := c.Decide(ctx, "abc", string(state.DecisionApproved), "Renée, on call"); err != nil {
		t.Fatalf("a plain note was refused: %v", err)
	}
}
