package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// ledgerPages reads the page size and high-water page id of a bbolt file's
// current meta page (the valid one with the higher transaction id; both
// are valid in the files these tests write).
func ledgerPages(t *testing.T, raw []byte) (pageSize, pgid int64) {
	t.Helper()
	ne := binary.NativeEndian
	meta := func(off int64) (ps, pgid, txid uint64) {
		m := raw[off+16:]
		return uint64(ne.Uint32(m[8:])), ne.Uint64(m[40:]), ne.Uint64(m[48:])
	}
	ps, pgid0, tx0 := meta(0)
	_, pgid1, tx1 := meta(int64(ps))
	if tx1 > tx0 {
		pgid0 = pgid1
	}
	return int64(ps), int64(pgid0)
}

// TestADamagedLedgerStopsEveryCommand cuts a ledger that `renewd once`
// wrote at several sizes and runs the real binary's commands on it: each
// exits with exitLedger and a message naming the file and the backup to
// restore, none dies of a signal (bbolt's SIGBUS), and the fake OVH sees no
// request at all.
func TestADamagedLedgerStopsEveryCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildRenewd(t, t.TempDir())
	r := newCrashRig(t, bin)
	if code := r.once(); code != exitOK {
		t.Fatalf("the first once exited %d", code)
	}
	// More pages, so that a cut can fall in the middle of the file.
	l, err := state.Open(r.ledger, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		term := renewd.Term{Account: renewd.DefaultAccount, ServiceID: int64(5000 + i), Expiration: r.expires}
		if _, err := l.Transition(term, state.StatusDue, strings.Repeat("filler ", 400), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(r.ledger)
	if err != nil {
		t.Fatal(err)
	}
	ps, pgid := ledgerPages(t, full)
	if pgid < 8 {
		t.Fatalf("the ledger has %d pages: too few to cut in the middle", pgid)
	}
	requests := r.fake.TotalRequests()

	commands := [][]string{
		{"once"}, {"run"}, {"plan"}, {"status"}, {"history"}, {"approve", "someapprovalid"},
		{"deny", "someapprovalid"}, {"backup", filepath.Join(r.dir, "copy.db")},
	}
	for _, size := range []int64{100, ps + 100, ps * pgid / 2, ps*pgid - 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			if err := os.WriteFile(r.ledger, full[:size], 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range commands {
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				cmd := exec.CommandContext(ctx, bin, append([]string{args[0], "--config", r.config}, args[1:]...)...)
				cmd.Env = []string{"HOME=" + t.TempDir()}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				cancel()
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatalf("renewd %s on a ledger cut to %d bytes: %v, want exit %d", args[0], size, err, exitLedger)
				}
				if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
					t.Fatalf("renewd %s on a ledger cut to %d bytes died of %v\n%s", args[0], size, ws.Signal(), stderr.String())
				}
				if code := ee.ExitCode(); code != exitLedger {
					t.Fatalf("renewd %s on a ledger cut to %d bytes: exit %d, want %d\n%s", args[0], size, code, exitLedger, stderr.String())
				}
				for _, want := range []string{r.ledger, "is damaged", "renewd backup"} {
					if !strings.Contains(stderr.String(), want) {
						t.Fatalf("renewd %s: stderr lacks %q:\n%s", args[0], want, stderr.String())
					}
				}
			}
			if n := r.fake.TotalRequests(); n != requests {
				t.Fatalf("the fake OVH saw %d request(s) from commands on a damaged ledger", n-requests)
			}
			if got, _ := os.ReadFile(r.ledger); !bytes.Equal(got, full[:size]) {
				t.Fatal("a command changed the damaged ledger")
			}
		})
	}
}
