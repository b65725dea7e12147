package daemon

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/renewd/renewd/internal/control"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// putGarbageRecord closes the env's ledger, stores bytes that are no record
// under key in the terms bucket, as damage on disk would, and opens the
// ledger again.
func (e *env) putGarbageRecord(t *testing.T, key string) {
	t.Helper()
	if err := e.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(e.cfg.StateFile, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("terms")).Put([]byte(key), []byte(`{"s":"paid",`))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := state.Open(e.cfg.StateFile, state.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open with one garbage record: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	e.ledger = l
}

// TestAnUnreadableRecordIsShownAndItsServiceNeverPaid: the daemon starts on
// a ledger with one record that cannot be decoded, for a due service. The
// cycle pays the other due service and nothing for that one; status
// (through the control socket) names the record, /healthz answers 503
// saying so, and the metric counts it.
func TestAnUnreadableRecordIsShownAndItsServiceNeverPaid(t *testing.T) {
	e := newEnv(t)
	e.putGarbageRecord(t, "default/1001/damaged")
	opts := e.options(t)
	base := "http://" + opts.Listener.Addr().String()
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	sum := e.metrics.waitCycle(t)

	if o := outcome(t, sum, 1001); o.Action == renewal.ActPaid {
		t.Fatalf("vps-alpha was paid beside an unreadable record of its own: %+v", o)
	}
	if n := paymentsByService(e)[1001]; n != 0 {
		t.Fatalf("the fake OVH shows %d payment(s) for the service whose record is unreadable", n)
	}

	c, err := control.Dial(t.Context(), e.socket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(t.Context())
	if err != nil {
		t.Fatalf("status with an unreadable record: %v", err)
	}
	if len(st.Unreadable) != 1 || st.Unreadable[0].Key != "default/1001/damaged" || st.Unreadable[0].Err == "" {
		t.Fatalf("status.Unreadable = %+v, want the damaged record", st.Unreadable)
	}
	if us, err := c.Unreadable(t.Context()); err != nil || len(us) != 1 {
		t.Fatalf("GET /unreadable = %+v, %v", us, err)
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "default/1001/damaged") {
		t.Fatalf("/healthz = %d %q, want 503 naming the record", resp.StatusCode, body)
	}
	e.metrics.mu.Lock()
	n := e.metrics.unreadable
	e.metrics.mu.Unlock()
	if n != 1 {
		t.Fatalf("LedgerUnreadable metric = %d, want 1", n)
	}
}
