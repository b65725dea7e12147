package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

const (
	testAppKey      = "test-app-key"
	testAppSecret   = "test-app-secret"
	testConsumerKey = "test-consumer-key"
)

// testConfig renews VPSs within 14 days at up to 10 EUR, and holds .org
// domains for approval above 5 EUR. %[1]s is the directory, %[2]s the fake
// OVH's endpoint, %[3]s the control socket, %[4]s more rules.
const testConfig = `schedule: "@every 1h"
state_file: %[1]s/renewd.db
control_socket: %[3]s
ovh:
  endpoint: %[2]s
  application_key_file: %[1]s/ak
  application_secret_file: %[1]s/as
  consumer_key_file: %[1]s/ck
  rate_limit: 1000
  burst: 100
policies:
  - name: vps-monthly
    match: {type: vps}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: 10.00
    payment: {method_id: 9001}
  - name: domains-with-approval
    match: {type: domain}
    action: renew
    renew_before: 30d
    period: P1Y
    max_price: 15.00
    payment: {default: true}
    approval: {above: 5.00}
%[4]s`

// env is one daemon's surroundings: a fake OVH, a config file, a ledger.
type env struct {
	dir, socket, cfgPath, endpoint string
	fake                           *ovhfake.Fake
	ledger                         *state.Ledger
	cfg                            *config.Config
	log                            *syncBuffer
	metrics                        *testMetrics
	sender                         *testSender
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), log: &syncBuffer{}, metrics: newTestMetrics(), sender: &testSender{}}
	// Unix socket paths are short (108 bytes): keep it out of t.TempDir().
	sockDir, err := os.MkdirTemp("", "rd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	e.socket = filepath.Join(sockDir, "c.sock")
	e.fake = ovhfake.New(ovhfake.SampleScenario(time.Now()), ovhfake.Options{
		AppKey: testAppKey, AppSecret: testAppSecret, ConsumerKey: testConsumerKey})
	srv := httptest.NewServer(e.fake)
	t.Cleanup(srv.Close)
	e.endpoint = srv.URL + "/1.0"
	for name, v := range map[string]string{"ak": testAppKey, "as": testAppSecret, "ck": testConsumerKey} {
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.cfgPath = filepath.Join(e.dir, "config.yaml")
	e.writeConfig(t, "")
	cfg, err := config.Load(e.cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	l, err := state.Open(cfg.StateFile, state.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e.ledger = l
	return e
}

// writeConfig writes the config file with extra appended to its rules.
func (e *env) writeConfig(t *testing.T, extra string) {
	t.Helper()
	body := fmt.Sprintf(testConfig, e.dir, e.endpoint, e.socket, extra)
	if err := os.WriteFile(e.cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// settings builds OVH clients against the fake.
func settingsFor(cfg *config.Config) (renewal.Settings, error) {
	s := renewal.Settings{Policy: cfg.Policy, DeliveryTimeout: cfg.DeliveryTimeout}
	for _, a := range cfg.Accounts {
		c, err := ovh.New(ovh.Options{Account: a.Name, Endpoint: a.Endpoint, AppKey: testAppKey,
			AppSecret: testAppSecret, ConsumerKey: testConsumerKey, RateLimit: 1000, Burst: 100, Retry: []time.Duration{}})
		if err != nil {
			return s, err
		}
		s.Accounts = append(s.Accounts, c)
	}
	return s, nil
}

// options are the daemon's options for the env, with an HTTP listener on
// loopback.
func (e *env) options(t *testing.T) Options {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Config:   e.cfg,
		Reload:   func() (*config.Config, error) { return config.Load(e.cfgPath, nil) },
		Ledger:   e.ledger,
		Settings: settingsFor,
		Sender:   e.sender,
		Metrics:  e.metrics,
		Listener: ln,
		Logger:   slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// start runs the daemon until the test ends; stop cancels it and returns
// Run's error.
func start(t *testing.T, d *Daemon) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(10 * time.Second):
				err = fmt.Errorf("Run did not return within 10 s of cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// testMetrics records cycles on a channel, and the rest as last told.
type testMetrics struct {
	cycles     chan renewal.Summary
	mu         sync.Mutex
	spent      map[string]int64
	unreadable int
	monthSpent map[string]int64
}

func newTestMetrics() *testMetrics {
	return &testMetrics{cycles: make(chan renewal.Summary, 16), spent: map[string]int64{}}
}

func (m *testMetrics) CycleDone(_ time.Time, sum renewal.Summary, _ bool) { m.cycles <- sum }
func (m *testMetrics) LedgerUnreadable(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unreadable = n
}

func (m *testMetrics) NotActed(string) {}

func (m *testMetrics) Spent(account, currency string, ucents int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.spent[account+" "+currency] += ucents
}

func (m *testMetrics) MonthSpent(spent map[string]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.monthSpent = spent
}

// waitCycle waits for the next cycle's summary.
func (m *testMetrics) waitCycle(t *testing.T) renewal.Summary {
	t.Helper()
	select {
	case s := <-m.cycles:
		return s
	case <-time.After(15 * time.Second):
		t.Fatal("no cycle finished within 15 s")
		return renewal.Summary{}
	}
}

// testSender records the reports it is given.
type testSender struct {
	mu      sync.Mutex
	reports []renewd.Report
}

func (s *testSender) Send(_ context.Context, key string, _ notify.Ref, r renewd.Report) (notify.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, r)
	return notify.Ref{Channel: "test", TS: key}, nil
}

func (s *testSender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reports)
}

// syncBuffer is a log buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) contains(s string) bool { return strings.Contains(b.String(), s) }

// outcome returns the outcome of the service with that id.
func outcome(t *testing.T, sum renewal.Summary, id int64) renewal.Outcome {
	t.Helper()
	for _, o := range sum.Outcomes {
		if o.Service.ID == id {
			return o
		}
	}
	t.Fatalf("no outcome for service %d in %+v", id, sum)
	return renewal.Outcome{}
}
