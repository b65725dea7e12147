package daemon

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// paymentsByService counts the fake OVH's payments per service.
func paymentsByService(e *env) map[int64]int {
	serviceOf := map[int64]int64{}
	for _, o := range e.fake.Orders() {
		serviceOf[o.ID] = o.ServiceID
	}
	out := map[int64]int{}
	for _, p := range e.fake.Payments() {
		out[serviceOf[p.OrderID]]++
	}
	return out
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestDaemonRenewsApprovesAndStops(t *testing.T) {
	e := newEnv(t)
	opts := e.options(t)
	base := "http://" + opts.Listener.Addr().String()
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, d)

	// The catch-up cycle at start-up renews the VPS due in 5 days and
	// holds example.org (9.99 EUR, above 5) for approval.
	sum := e.metrics.waitCycle(t)
	if o := outcome(t, sum, 1001); o.Action != renewal.ActPaid {
		t.Errorf("vps-alpha: %s (%s), want paid", o.Action, o.Reason)
	}
	if o := outcome(t, sum, 2002); o.Action != renewal.ActAwaiting {
		t.Fatalf("example.org: %s (%s), want awaiting-approval", o.Action, o.Reason)
	}
	if code := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after a good cycle = %d, want 200", code)
	}
	if code := get(t, base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics with no handler = %d, want 404", code)
	}

	ctx := t.Context()
	c, err := control.Dial(ctx, e.socket)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	fi, err := os.Stat(e.socket)
	if err != nil || fi.Mode().Perm() != control.SocketMode {
		t.Errorf("control socket mode = %v (%v), want %v", fi.Mode().Perm(), err, control.SocketMode)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if st.LastCycle == nil || st.LastCycle.Counts[string(renewal.ActPaid)] < 1 || !st.LastCycle.OK {
		t.Errorf("status last cycle = %+v, want one with a payment", st.LastCycle)
	}
	if st.Schedule != "@every 1h" || st.NextCycle.IsZero() || st.StartedAt.IsZero() {
		t.Errorf("status = schedule %q, next %s, started %s", st.Schedule, st.NextCycle, st.StartedAt)
	}
	term := outcome(t, sum, 2002).Service.Term().String()
	var pending bool
	for _, r := range st.PendingApprovals {
		pending = pending || r.Term.String() == term
	}
	if !pending {
		t.Fatalf("status pending approvals %v lack %s", st.PendingApprovals, term)
	}

	// Approve by term through the socket: the daemon runs a cycle at once,
	// which pays it.
	rec, err := c.Decide(ctx, term, string(state.DecisionApproved), "cli:alice")
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	if rec.Status != state.StatusApproved {
		t.Errorf("after approve: %s, want approved", rec.Status)
	}
	if _, err := c.Decide(ctx, term, string(state.DecisionDenied), "cli:bob"); err == nil {
		t.Error("deny after approve succeeded, want a refusal")
	}
	sum = e.metrics.waitCycle(t)
	if o := outcome(t, sum, 2002); o.Action != renewal.ActPaid {
		t.Errorf("example.org after approval: %s (%s), want paid", o.Action, o.Reason)
	}

	// run-now: one more cycle pays nothing more.
	if err := c.RunNow(ctx); err != nil {
		t.Fatalf("RunNow: %v", err)
	}
	e.metrics.waitCycle(t)
	for id, n := range paymentsByService(e) {
		if n != 1 {
			t.Errorf("service %d paid %d times, want once", id, n)
		}
	}
	if got := paymentsByService(e); got[1001] != 1 || got[2002] != 1 {
		t.Errorf("payments by service = %v, want 1001 and 2002 paid once", got)
	}

	events, err := c.History(ctx, state.HistoryFilter{ServiceID: 2002})
	if err != nil || len(events) == 0 {
		t.Errorf("History(2002) = %d events, %v", len(events), err)
	}
	for _, ev := range events {
		if !strings.HasPrefix(ev.Term, "default/2002/") && !strings.Contains(ev.Term, "/2002/") {
			t.Errorf("history for 2002 has %s", ev.Term)
		}
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	if err := c.Backup(ctx, backup); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	copyLedger, err := state.Open(backup, state.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	if recs, err := copyLedger.List(state.Filter{Statuses: []state.Status{state.StatusPaid, state.StatusDelivered}}); err != nil || len(recs) < 2 {
		t.Errorf("backup holds %d paid terms (%v), want at least 2", len(recs), err)
	}
	copyLedger.Close()

	// A second renewd on the same ledger fails at once, and says why.
	t0 := time.Now()
	_, err = state.Open(e.cfg.StateFile, state.Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, state.ErrLocked) || !strings.Contains(err.Error(), "another renewd holds") {
		t.Errorf("second open = %v, want ErrLocked saying another renewd holds it", err)
	}
	if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("second open took %s", took)
	}

	if err := stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if _, err := os.Stat(e.socket); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("control socket still there after stop: %v", err)
	}
	if _, err := control.Dial(ctx, e.socket); !errors.Is(err, control.ErrNoDaemon) {
		t.Errorf("Dial after stop = %v, want ErrNoDaemon", err)
	}
	if e.sender.count() == 0 {
		t.Error("no report delivered")
	}
}

func TestHealthzFollowsTheSchedule(t *testing.T) {
	e := newEnv(t)
	opts := e.options(t)
	opts.Listener.Close()
	opts.Listener = nil
	var mu sync.Mutex
	now := time.Now()
	opts.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	check := func(want int) {
		t.Helper()
		rr := newRecorder()
		d.healthz(rr, nil)
		if rr.code != want {
			t.Errorf("/healthz = %d (%s), want %d", rr.code, rr.body.String(), want)
		}
	}
	check(http.StatusServiceUnavailable) // no cycle yet
	d.cycle(t.Context())
	check(http.StatusOK)
	advance(2*time.Hour - time.Second) // "@every 1h": two periods
	check(http.StatusOK)
	advance(time.Second)
	check(http.StatusServiceUnavailable)
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	code int
	body strings.Builder
	h    http.Header
}

func newRecorder() *recorder                    { return &recorder{code: http.StatusOK, h: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

var _ http.ResponseWriter = (*recorder)(nil)

func TestReloadAppliesAValidConfigAndRefusesABrokenOne(t *testing.T) {
	e := newEnv(t)
	opts := e.options(t)
	var mu sync.Mutex
	var notes []string
	opts.Notify = func(s string) { mu.Lock(); notes = append(notes, s); mu.Unlock() }
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	e.metrics.waitCycle(t)

	e.writeConfig(t, `  - name: hosting-yearly
    match: {type: hosting/web}
    action: renew
    renew_before: 30d
    period: P1Y
    max_price: 60.00
    payment: {default: true}
`)
	if err := d.Reload(); err != nil {
		t.Fatalf("Reload of a valid config: %v", err)
	}
	if !e.log.contains("rule hosting-yearly added") {
		t.Errorf("log lacks the added rule:\n%s", e.log)
	}
	if n := len(d.config().Policy.Rules); n != 3 {
		t.Errorf("rules in force = %d, want 3", n)
	}

	e.writeConfig(t, `  - name: broken
    match: {type: vps}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: lots
    payment: {method_id: 9001}
`)
	err = d.Reload()
	if err == nil {
		t.Fatal("Reload of a broken config succeeded")
	}
	if !e.log.contains(e.cfgPath+":") || !e.log.contains("reload refused") {
		t.Errorf("log lacks the refusal with FILE:LINE:\n%s", e.log)
	}
	if n := len(d.config().Policy.Rules); n != 3 {
		t.Errorf("rules in force after a refused reload = %d, want the previous 3", n)
	}

	mu.Lock()
	defer mu.Unlock()
	var seq []string
	for _, n := range notes {
		if strings.HasPrefix(n, "RELOADING=1\nMONOTONIC_USEC=") {
			seq = append(seq, "RELOADING")
		} else if n == "READY=1" {
			seq = append(seq, "READY")
		}
	}
	if got, want := strings.Join(seq, " "), "READY RELOADING READY RELOADING READY"; got != want {
		t.Errorf("notify sequence = %s, want %s", got, want)
	}
}
