package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/state"
)

// The crash tests run the real binary against an in-process fake OVH, stop
// it at a known point of the money path with a hold, SIGKILL it there, and
// run it again. Every promise is checked on the fake's own record of orders
// and payments, and on the ledger the processes left behind.

const (
	crashAppKey      = "crash-app-key"
	crashAppSecret   = "crash-app-secret"
	crashConsumerKey = "crash-consumer-key"

	crashServiceID = 101
	crashPrice     = 5_00_000_000 // 5.00 without tax, under the 10.00 cap

	routeRenew = "POST /service/{id}/renew"
	routePay   = "POST /me/order/{id}/pay"
)

// crashConfig is a config for one account at the fake, renewing VPSes due
// within 14 days, monthly, up to 10.00, with payment method 9001.
const crashConfig = `state_file: %[1]s/renewd.db
control_socket: ""
ovh:
  endpoint: %[2]s
  application_key_file: %[1]s/ovh-application-key
  application_secret_file: %[1]s/ovh-application-secret
  consumer_key_file: %[1]s/ovh-consumer-key
  rate_limit: 50
policies:
  - name: vps-monthly
    match: {type: vps}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: 10.00
    payment: {method_id: 9001}
`

// buildRenewd builds the binary into dir and returns its path.
func buildRenewd(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "renewd")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashRig is one fake OVH, one config and one state file.
type crashRig struct {
	t       *testing.T
	bin     string
	fake    *ovhfake.Fake
	clock   *ovhfake.Clock
	dir     string
	config  string
	ledger  string
	expires renewd.Date
}

func newCrashRig(t *testing.T, bin string) *crashRig {
	t.Helper()
	expires := renewd.DateOf(time.Now().UTC()).AddDays(5) // due: 5 days left, renew_before 14d
	// OVH's clock, which renewd times its settle delay by; ageIntents moves it.
	clock := ovhfake.NewClock(time.Now())
	fake := ovhfake.New(ovhfake.Scenario{
		Services: []ovhfake.ServiceFixture{{
			ID: crashServiceID, Name: "vps-crash.vps.ovh.net", Type: "vps", Expiration: expires,
			Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{crashServiceID}, PriceUcents: crashPrice}},
		}},
		PaymentMethods: []ovhfake.PaymentMethodFixture{{ID: 9001, PaymentType: "CREDIT_CARD", Default: true}},
	}, ovhfake.Options{AppKey: crashAppKey, AppSecret: crashAppSecret, ConsumerKey: crashConsumerKey, Now: clock.Now})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	for name, v := range map[string]string{
		"ovh-application-key":    crashAppKey,
		"ovh-application-secret": crashAppSecret,
		"ovh-consumer-key":       crashConsumerKey,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(crashConfig, dir, srv.URL+"/1.0")), 0o600); err != nil {
		t.Fatal(err)
	}
	return &crashRig{t: t, bin: bin, fake: fake, clock: clock, dir: dir, config: cfg,
		ledger: filepath.Join(dir, "renewd.db"), expires: expires}
}

// command returns `renewd once --config FILE` with an environment that
// holds no OVH credential and a HOME of its own.
func (r *crashRig) command() (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(r.bin, "once", "--config", r.config)
	cmd.Env = []string{
		"HOME=" + r.t.TempDir(),
		"OVH_ENDPOINT=", "OVH_APPLICATION_KEY=", "OVH_APPLICATION_SECRET=", "OVH_CONSUMER_KEY=",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// once runs `renewd once` to its end and returns its exit code.
func (r *crashRig) once() int {
	r.t.Helper()
	cmd, stdout, stderr := r.command()
	err := cmd.Run()
	code := exitCodeOf(r.t, err)
	r.t.Logf("renewd once: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	return code
}

func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("run renewd: %v", err)
	return -1
}

// killAt starts `renewd once`, waits for it to reach hold, SIGKILLs it
// there, and releases the hold.
func (r *crashRig) killAt(route string, after bool) {
	r.t.Helper()
	h := r.fake.Hold(route, after)
	defer h.Release()
	cmd, stdout, stderr := r.command()
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-h.Reached():
	case err := <-exited:
		r.t.Fatalf("renewd exited (%v) before reaching %s\nstdout:\n%s\nstderr:\n%s", err, route, stdout, stderr)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		r.t.Fatalf("renewd never reached %s\nstdout:\n%s\nstderr:\n%s", route, stdout, stderr)
	}
	if err := cmd.Process.Kill(); err != nil {
		r.t.Fatal(err)
	}
	<-exited
	if !after {
		// The fake must see the dead client before the hold is released,
		// or it would do the work for a request nobody waits for.
		select {
		case <-h.Abandoned():
		case <-time.After(10 * time.Second):
			r.t.Fatalf("the fake never noticed renewd's death at %s", route)
		}
	}
	r.t.Logf("killed renewd at %s (after work: %v)\nstderr:\n%s", route, after, stderr)
}

// term is the ledger's record of the service's due term, read after every
// process has exited.
func (r *crashRig) term() state.Record {
	r.t.Helper()
	l, err := state.Open(r.ledger, state.Options{ReadOnly: true})
	if err != nil {
		r.t.Fatalf("open the ledger: %v", err)
	}
	defer l.Close()
	term := renewd.Term{Account: renewd.DefaultAccount, ServiceID: crashServiceID, Expiration: r.expires}
	rec, ok, err := l.Get(term)
	if err != nil || !ok {
		r.t.Fatalf("ledger record of %s: found %v, err %v", term, ok, err)
	}
	return rec
}

// ageIntents lets d pass on OVH's clock, the one renewd counts its settle
// delay by: the intents are then d older, as if renewd had restarted later.
func (r *crashRig) ageIntents(d time.Duration) {
	r.t.Helper()
	r.clock.Advance(d)
}

// checkRecord asserts the fake saw wantOrders orders and wantPayments
// payments, every payment of an order of the service, at most one per
// order, at the order's price.
func (r *crashRig) checkRecord(wantOrders, wantPayments int) {
	r.t.Helper()
	orders, payments := r.fake.Orders(), r.fake.Payments()
	if len(orders) != wantOrders || len(payments) != wantPayments {
		r.t.Fatalf("the fake saw %d order(s) and %d payment(s), want %d and %d:\norders %+v\npayments %+v",
			len(orders), len(payments), wantOrders, wantPayments, orders, payments)
	}
	byID := map[int64]ovhfake.OrderRecord{}
	for _, o := range orders {
		if o.ServiceID != crashServiceID || o.PriceUcents != crashPrice {
			r.t.Errorf("order %+v: want service %d at %d", o, crashServiceID, crashPrice)
		}
		byID[o.ID] = o
	}
	paid := map[int64]int{}
	for _, p := range payments {
		if _, ok := byID[p.OrderID]; !ok {
			r.t.Errorf("payment %+v is for an order the fake did not create", p)
		}
		if paid[p.OrderID]++; paid[p.OrderID] > 1 {
			r.t.Errorf("order %d paid twice", p.OrderID)
		}
	}
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the renewd binary")
	}
	bin := buildRenewd(t, t.TempDir())

	t.Run("killed after the order intent, before the order call", func(t *testing.T) {
		r := newCrashRig(t, bin)
		r.killAt(routeRenew, false)
		r.checkRecord(0, 0)
		if rec := r.term(); rec.Status != "ordering" {
			t.Fatalf("after the kill the term is %s, want ordering", rec.Status)
		}
		// Within the settle delay, OVH showing no order is not believed: the
		// term stays pending, and nothing is ordered or paid.
		for range 2 {
			if code := r.once(); code != exitNotDone {
				t.Fatalf("restart within the settle delay: exit %d, want %d (pending)", code, exitNotDone)
			}
			r.checkRecord(0, 0)
		}
		if rec := r.term(); rec.Status != "ordering" || rec.OrderID != 0 {
			t.Fatalf("after the restarts the term is %s with order %d, want ordering with none", rec.Status, rec.OrderID)
		}
		// Past the settle delay, "no order at OVH" is believed: the term
		// starts over and is ordered and paid, once.
		r.ageIntents(3 * time.Minute)
		if code := r.once(); code != exitOK {
			t.Fatalf("run past the settle delay: exit %d, want 0", code)
		}
		r.checkRecord(1, 1)
		if rec := r.term(); !rec.Paid() || rec.OrderID != r.fake.Orders()[0].ID {
			t.Fatalf("the term is %s with order %d, want paid with order %d", rec.Status, rec.OrderID, r.fake.Orders()[0].ID)
		}
	})

	t.Run("killed after OVH created the order, before it was recorded", func(t *testing.T) {
		r := newCrashRig(t, bin)
		r.killAt(routeRenew, true)
		r.checkRecord(1, 0)
		if rec := r.term(); rec.Status != "ordering" || rec.OrderID != 0 {
			t.Fatalf("after the kill the term is %s with order %d, want ordering with none", rec.Status, rec.OrderID)
		}
		if code := r.once(); code != exitOK {
			t.Fatalf("restart: exit %d, want 0 (the order adopted and paid)", code)
		}
		r.checkRecord(1, 1)
		rec := r.term()
		if order := r.fake.Orders()[0]; rec.OrderID != order.ID || !rec.Paid() {
			t.Fatalf("the term is %s with order %d, want paid with order %d", rec.Status, rec.OrderID, order.ID)
		}
		if code := r.once(); code != exitOK {
			t.Fatalf("third run: exit %d, want 0", code)
		}
		r.checkRecord(1, 1)
	})

	t.Run("killed after the payment intent, before the payment call", func(t *testing.T) {
		r := newCrashRig(t, bin)
		r.killAt(routePay, false)
		r.checkRecord(1, 0)
		order := r.fake.Orders()[0]
		if rec := r.term(); rec.Status != "paying" || rec.OrderID != order.ID {
			t.Fatalf("after the kill the term is %s with order %d, want paying with order %d", rec.Status, rec.OrderID, order.ID)
		}
		// OVH shows the order notPaid, but within the settle delay that is
		// not believed: pending, and neither a second order nor a payment.
		for range 2 {
			if code := r.once(); code != exitNotDone {
				t.Fatalf("restart within the settle delay: exit %d, want %d (pending)", code, exitNotDone)
			}
			r.checkRecord(1, 0)
		}
		if rec := r.term(); rec.Status != "paying" || rec.OrderID != order.ID {
			t.Fatalf("after the restarts the term is %s with order %d, want paying with order %d", rec.Status, rec.OrderID, order.ID)
		}
		// Past the settle delay, "notPaid" is believed: the same order is
		// paid, once; no second order.
		r.ageIntents(3 * time.Minute)
		if code := r.once(); code != exitOK {
			t.Fatalf("run past the settle delay: exit %d, want 0", code)
		}
		r.checkRecord(1, 1)
		if rec := r.term(); !rec.Paid() || rec.OrderID != order.ID {
			t.Fatalf("the term is %s with order %d, want paid with order %d", rec.Status, rec.OrderID, order.ID)
		}
	})

	t.Run("killed after OVH took the payment, before it was recorded", func(t *testing.T) {
		r := newCrashRig(t, bin)
		r.killAt(routePay, true)
		r.checkRecord(1, 1)
		if rec := r.term(); rec.Status != "paying" {
			t.Fatalf("after the kill the term is %s, want paying", rec.Status)
		}
		if code := r.once(); code != exitOK {
			t.Fatalf("restart: exit %d, want 0 (reconciled as paid)", code)
		}
		r.checkRecord(1, 1)
		if rec := r.term(); !rec.Paid() || rec.OrderID != r.fake.Orders()[0].ID {
			t.Fatalf("the term is %s with order %d, want paid with order %d", rec.Status, rec.OrderID, r.fake.Orders()[0].ID)
		}
		if code := r.once(); code != exitOK {
			t.Fatalf("third run: exit %d, want 0", code)
		}
		r.checkRecord(1, 1)
	})

	t.Run("a second renewd on the same state file exits at once", func(t *testing.T) {
		r := newCrashRig(t, bin)
		h := r.fake.Hold(routeRenew, false)
		defer h.Release()
		first, _, firstErr := r.command()
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- first.Wait() }()
		select {
		case <-h.Reached():
		case err := <-exited:
			t.Fatalf("the first renewd exited (%v) before reaching the hold\nstderr:\n%s", err, firstErr)
		case <-time.After(30 * time.Second):
			_ = first.Process.Kill()
			<-exited
			t.Fatalf("the first renewd never reached the hold\nstderr:\n%s", firstErr)
		}

		second, _, secondErr := r.command()
		start := time.Now()
		code := exitCodeOf(t, second.Run())
		took := time.Since(start)
		if code != exitNotDone {
			t.Errorf("the second renewd: exit %d, want %d", code, exitNotDone)
		}
		if want := "another renewd holds " + r.ledger; !strings.Contains(secondErr.String(), want) {
			t.Errorf("the second renewd's stderr lacks %q:\n%s", want, secondErr)
		}
		if took > 5*time.Second {
			t.Errorf("the second renewd took %s to give up, want well under 5s", took)
		}

		h.Release()
		if code := exitCodeOf(t, <-exited); code != exitOK {
			t.Errorf("the first renewd: exit %d, want 0\nstderr:\n%s", code, firstErr)
		}
		r.checkRecord(1, 1)
	})
}
