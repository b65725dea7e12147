package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/state"
)

// badKey is a key of the terms bucket whose value is garbage; it holds a
// newline, which the output must not print as one.
const badKey = "default/1001/2026-12-06\nforged"

// ledgerWithABadRecord writes, at the rig's state file, a term left
// paying and one record that cannot be decoded.
func ledgerWithABadRecord(t *testing.T, path string) renewd.Term {
	t.Helper()
	l, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	paying := renewd.Term{Account: renewd.DefaultAccount, ServiceID: 2002, Expiration: renewd.DateOf(time.Now().UTC()).AddDays(10)}
	for _, to := range []state.Status{state.StatusOrdering, state.StatusOrdered, state.StatusPaying} {
		if _, err := l.Transition(paying, to, "to "+string(to), func(r *state.Record) error {
			switch to {
			case state.StatusOrdering:
				r.IntentOVH = time.Now()
			case state.StatusOrdered:
				r.OrderID = 77
			case state.StatusPaying:
				r.PayIntentOVH = time.Now()
			}
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("terms")).Put([]byte(badKey), []byte("\x00\x01 not json"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return paying
}

// checkShowsBadRecord checks a text listing: the notice, the key quoted
// (its newline escaped, not printed), what to do, and the paying term.
func checkShowsBadRecord(t *testing.T, what, out string, paying renewd.Term) {
	t.Helper()
	for _, want := range []string{"UNREADABLE", `"default/1001/2026-12-06\nforged"`, "renewd backup", paying.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "forged") {
			t.Errorf("%s printed the key's newline as a line break:\n%s", what, out)
		}
	}
}

// TestStatusAndHistoryShowAnUnreadableRecord: with one record that cannot
// be decoded beside a term left paying, `status` and `history` work and
// show it, on the ledger directly and through the daemon.
func TestStatusAndHistoryShowAnUnreadableRecord(t *testing.T) {
	r := newDaemonRig(t)
	cfg, err := config.Load(r.cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	paying := ledgerWithABadRecord(t, cfg.StateFile)

	check := func(t *testing.T) {
		code, out, errs := r.cli(t, "status")
		if code != exitOK {
			t.Fatalf("status: exit %d\n%s", code, errs)
		}
		checkShowsBadRecord(t, "status", out, paying)

		code, out, errs = r.cli(t, "status", "--json")
		var st struct {
			Terms      []struct{ Term string } `json:"terms"`
			Unreadable []struct{ Key string }  `json:"unreadable"`
		}
		if err := json.Unmarshal([]byte(out), &st); code != exitOK || err != nil {
			t.Fatalf("status --json: exit %d, %v\n%s\n%s", code, err, out, errs)
		}
		if len(st.Unreadable) != 1 || st.Unreadable[0].Key != badKey || len(st.Terms) == 0 {
			t.Fatalf("status --json: unreadable %+v, %d terms", st.Unreadable, len(st.Terms))
		}

		code, out, errs = r.cli(t, "history")
		if code != exitOK {
			t.Fatalf("history: exit %d\n%s", code, errs)
		}
		checkShowsBadRecord(t, "history", out, paying)

		code, out, errs = r.cli(t, "history", "--json")
		var hist struct {
			Events     []struct{ Term string } `json:"events"`
			Unreadable []struct{ Key string }  `json:"unreadable"`
		}
		if err := json.Unmarshal([]byte(out), &hist); code != exitOK || err != nil || len(hist.Events) < 3 ||
			len(hist.Unreadable) != 1 || hist.Unreadable[0].Key != badKey {
			t.Fatalf("history --json: exit %d, %v, %d events, unreadable %+v\n%s", code, err, len(hist.Events), hist.Unreadable, out)
		}
		checkShowsBadRecord(t, "history --json's stderr", errs+paying.String(), paying)
	}
	t.Run("on the ledger", check)

	t.Run("through the daemon", func(t *testing.T) {
		// The daemon runs in-process; its sd_notify READY=1 says when the
		// control socket answers.
		notify := filepath.Join(filepath.Dir(r.socket), "notify.sock")
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notify, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		t.Setenv("NOTIFY_SOCKET", notify)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			var out, errb lockedBuffer
			done <- run(ctx, []string{"run", "--config", r.cfgPath}, func(string) string { return "" }, &out, &errb)
		}()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("the daemon: %v", err)
			}
		}()
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		for buf := make([]byte, 4096); ; {
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("no READY=1 from the daemon: %v", err)
			}
			if strings.Contains(string(buf[:n]), "READY=1") {
				break
			}
		}
		if _, err := os.Stat(r.socket); err != nil {
			t.Fatalf("no control socket: %v", err)
		}
		check(t)
	})
}
