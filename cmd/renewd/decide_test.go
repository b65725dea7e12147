package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/state"
)

// TestApproveRecordsTheUserNotTheClaim: on the ledger directly, approve
// records the decision as cli:USER, USER being who runs the command, with
// --by only as a note; a --by holding a newline is a usage error and
// decides nothing.
func TestApproveRecordsTheUserNotTheClaim(t *testing.T) {
	r := newDaemonRig(t)
	cfg, err := config.Load(r.cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := state.Open(cfg.StateFile, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	term := renewd.Term{Account: renewd.DefaultAccount, ServiceID: 2002, Expiration: renewd.DateOf(time.Now().UTC()).AddDays(10)}
	id, err := state.NewApprovalID()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Transition(term, state.StatusAwaitingApproval, "over 5.00", func(rec *state.Record) error {
		rec.Approval = &state.Approval{ID: id, PriceUcents: 9_99 * renewd.UcentsPerUnit / 100, ExpiresAt: time.Now().Add(time.Hour)}
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	code, _, errs := r.cli(t, "approve", "--by", "alice\nlevel=INFO msg=forged", id)
	if code != exitUsage || !strings.Contains(errs, `field "note"`) {
		t.Fatalf("approve --by with a newline: exit %d, stderr %q; want %d naming the field", code, errs, exitUsage)
	}
	code, out, errs := r.cli(t, "approve", "--by", "slack:U0BOSS", id)
	if code != exitOK {
		t.Fatalf("approve: exit %d\n%s\n%s", code, out, errs)
	}
	want, err := control.DecisionActor(uint32(os.Getuid()), "slack:U0BOSS")
	if err != nil {
		t.Fatal(err)
	}
	_, out, _ = r.cli(t, "history", "--json")
	if !strings.Contains(out, `"actor": "`+want+`"`) || !strings.HasPrefix(want, "cli:") {
		t.Fatalf("history lacks the decision by %q:\n%s", want, out)
	}
}

// An unknown control_group is a config error at start, before the ledger
// is opened.
func TestRunRefusesAnUnknownControlGroup(t *testing.T) {
	r := newDaemonRig(t)
	body, err := os.ReadFile(r.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.cfgPath, append([]byte("control_group: no-such-group-renewd\n"), body...), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := r.cli(t, "run")
	if code != exitUsage || !strings.Contains(errs, "no-such-group-renewd") {
		t.Fatalf("run with an unknown control_group: exit %d, stderr %q; want %d naming it", code, errs, exitUsage)
	}
}

// TestCLIDocListsTheExitCodes keeps docs/cli.md's table in step with the
// constants.
func TestCLIDocListsTheExitCodes(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	for code, name := range map[int]string{exitOK: "ok", exitNotDone: "not done", exitUsage: "usage", exitLedger: "damaged ledger"} {
		if row := fmt.Sprintf("| %d | %s |", code, name); !strings.Contains(string(doc), row) {
			t.Errorf("docs/cli.md lacks the row %q", row)
		}
	}
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		if !strings.Contains(string(doc), "`"+c.name+"`") {
			t.Errorf("docs/cli.md's table lacks the command %s", c.name)
		}
	}
}
