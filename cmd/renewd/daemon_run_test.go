package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/ovhfake"
)

// daemonRig is a config for `renewd run` against a fake OVH: the demo's
// config with a control socket.
type daemonRig struct {
	dir, socket, cfgPath, endpoint string
	fake                           *ovhfake.Fake
}

func newDaemonRig(t *testing.T) *daemonRig {
	t.Helper()
	r := &daemonRig{dir: t.TempDir()}
	sockDir, err := os.MkdirTemp("", "rd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	r.socket = filepath.Join(sockDir, "c.sock")
	r.fake = ovhfake.New(ovhfake.SampleScenario(time.Now()), ovhfake.Options{
		AppKey: demoAppKey, AppSecret: demoAppSecret, ConsumerKey: demoConsumerKey})
	// A second domain held for approval (9.99 EUR, above the rule's 5.00).
	r.fake.AddService(ovhfake.ServiceFixture{ID: 2003, Name: "example.net", Type: "domain",
		Expiration: renewd.DateOf(time.Now().UTC()).AddDays(11), RenewMode: "manual",
		Strategies: []ovhfake.StrategyFixture{{Period: "P1Y", Services: []int64{2003}, PriceUcents: 999_000_000}}})
	srv := httptest.NewServer(r.fake)
	t.Cleanup(srv.Close)
	r.endpoint = srv.URL + "/1.0"
	path, err := writeDemoFiles(r.dir, r.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	r.cfgPath = path
	r.writeConfig(t, "")
	return r
}

// writeConfig writes the demo config with a control socket and extra rules
// appended (policies is the file's last key).
func (r *daemonRig) writeConfig(t *testing.T, extraRules string) {
	t.Helper()
	body := fmt.Sprintf("control_socket: %s\n", r.socket) + fmt.Sprintf(demoConfig, r.dir, r.endpoint) + extraRules
	if err := os.WriteFile(r.cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// cli runs a renewd command in-process.
func (r *daemonRig) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{args[0], "--config", r.cfgPath}, args[1:]...)
	err := run(t.Context(), args, func(string) string { return "" }, &out, &errb)
	return exitCode(err, &errb), out.String(), errb.String()
}

// lockedBuffer is a buffer safe for a writer goroutine and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond until it holds, for at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool, log func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s; log:\n%s", what, log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func buildDaemonBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "renewd")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// daemonProcess is `renewd run` started from a built binary, its output
// captured. The test's cleanup kills it if it still runs.
type daemonProcess struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan struct{}
	err            error // how it exited, once done is closed
}

// startDaemon starts bin as `renewd run --config cfgPath` with only PATH
// and the extra environment given.
func startDaemon(t *testing.T, bin, cfgPath string, env ...string) *daemonProcess {
	t.Helper()
	d := &daemonProcess{cmd: exec.Command(bin, "run", "--config", cfgPath), done: make(chan struct{})}
	d.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	d.cmd.Stdout, d.cmd.Stderr = &d.stdout, &d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		<-d.done
	})
	return d
}

func (d *daemonProcess) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// stop sends SIGTERM and fails the test unless the daemon exits 0 within
// 30 s.
func (d *daemonProcess) stop(t *testing.T) {
	t.Helper()
	d.signal(t, syscall.SIGTERM)
	select {
	case <-d.done:
		if d.err != nil {
			t.Fatalf("renewd run after SIGTERM: %v\n%s", d.err, d.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("renewd run did not stop within 30 s of SIGTERM\n%s", d.stderr.String())
	}
}

// pendingTerms returns the terms awaiting approval, from `status --json`
// (through the daemon or the ledger).
func pendingTerms(t *testing.T, statusJSON string) []string {
	t.Helper()
	var st struct {
		Terms []struct {
			Term   string `json:"term"`
			Status string `json:"status"`
		} `json:"terms"`
	}
	if err := json.Unmarshal([]byte(statusJSON), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, statusJSON)
	}
	var out []string
	for _, r := range st.Terms {
		if r.Status == "awaiting_approval" {
			out = append(out, r.Term)
		}
	}
	return out
}

func TestRunReloadsOnSIGHUPAndStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildDaemonBinary(t)
	r := newDaemonRig(t)
	d := startDaemon(t, bin, r.cfgPath)
	stderr := &d.stderr
	waitFor(t, "the first cycle", func() bool { return strings.Contains(stderr.String(), "cycle done") }, stderr.String)

	// Through the socket: status, approve, run-now.
	code, out, errs := r.cli(t, "status")
	if code != 0 || !strings.Contains(out, "Daemon running since") || !strings.Contains(out, "awaiting_approval") {
		t.Fatalf("status through the daemon: exit %d\n%s\n%s", code, out, errs)
	}
	_, out, _ = r.cli(t, "status", "--json")
	pending := pendingTerms(t, out)
	if len(pending) < 2 {
		t.Fatalf("want at least 2 terms awaiting approval, got %v", pending)
	}
	code, out, errs = r.cli(t, "approve", "--by", "alice", pending[0])
	if code != 0 || !strings.Contains(out, "the daemon runs a cycle") {
		t.Fatalf("approve through the daemon: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = r.cli(t, "run-now")
	if code != 0 || !strings.Contains(out, "cycle requested") {
		t.Fatalf("run-now: exit %d\n%s\n%s", code, out, errs)
	}
	approvedPaid := func() bool { return strings.Contains(stderr.String(), "approval decided") }
	waitFor(t, "the decision in the daemon's log", approvedPaid, stderr.String)

	// A valid change is applied.
	r.writeConfig(t, `  - name: databases-monthly
    match: {type: hosting/privateDatabase}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: 20.00
    payment: {default: true}
`)
	d.signal(t, syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(stderr.String(), "rule databases-monthly added") }, stderr.String)

	// A broken one is refused, with FILE:LINE, and the daemon keeps running.
	r.writeConfig(t, `  - name: broken
    match: {type: vps}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: lots
    payment: {default: true}
`)
	d.signal(t, syscall.SIGHUP)
	waitFor(t, "the refusal", func() bool { return strings.Contains(stderr.String(), "reload refused") }, stderr.String)
	if !regexp.MustCompile(regexp.QuoteMeta(r.cfgPath) + `:\d+: `).MatchString(stderr.String()) {
		t.Errorf("the refusal does not say FILE:LINE:\n%s", stderr.String())
	}
	if err := d.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("renewd run gone after a refused reload: %v", err)
	}
	// (The CLI itself would refuse the broken file: ask the socket directly.)
	cl, err := control.Dial(t.Context(), r.socket)
	if err != nil {
		t.Fatalf("daemon not answering after a refused reload: %v", err)
	}
	if st, err := cl.Status(t.Context()); err != nil || st.Schedule != "@every 6h" {
		t.Fatalf("status after a refused reload: %+v, %v", st, err)
	}
	r.writeConfig(t, "")

	// SIGTERM: a clean stop, exit 0, socket removed.
	d.stop(t)
	if _, err := os.Stat(r.socket); err == nil {
		t.Error("control socket left behind")
	}

	// Stopped: status and approve work on the ledger directly.
	code, out, errs = r.cli(t, "status", "--json")
	if code != 0 {
		t.Fatalf("status on the ledger: exit %d\n%s", code, errs)
	}
	left := pendingTerms(t, out)
	if len(left) != len(pending)-1 {
		t.Errorf("after approving one: %v awaiting, want %d", left, len(pending)-1)
	}
	code, out, errs = r.cli(t, "approve", "--by", "bob", left[0])
	if code != 0 || !strings.Contains(out, "the next cycle acts on it") {
		t.Fatalf("approve on the ledger: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = r.cli(t, "run-now")
	if code != exitNotDone || !strings.Contains(errs, control.ErrNoDaemon.Error()) {
		t.Errorf("run-now with no daemon: exit %d, stderr %q; want 1 and %q", code, errs, control.ErrNoDaemon)
	}
}

func TestRunFailsAtOnceWhenTheLedgerIsHeld(t *testing.T) {
	r := newDaemonRig(t)
	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	var firstErr lockedBuffer
	go func() {
		first <- run(ctx, []string{"run", "--config", r.cfgPath}, func(string) string { return "" }, &bytes.Buffer{}, &firstErr)
	}()
	waitFor(t, "the first daemon", func() bool { return strings.Contains(firstErr.String(), "cycle done") }, firstErr.String)

	t0 := time.Now()
	code, _, errs := r.cli(t, "run")
	if code != exitNotDone || !strings.Contains(errs, "another renewd holds") {
		t.Errorf("second run: exit %d, %q; want 1 and \"another renewd holds\"", code, errs)
	}
	if took := time.Since(t0); took > 5*time.Second {
		t.Errorf("second run took %s to fail", took)
	}
	cancel()
	if err := <-first; err != nil {
		t.Errorf("first daemon: %v", err)
	}
}
