package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/slack"
)

// The demo's credentials are the fake's; they open nothing real.
const (
	demoAppKey      = "demo-application-key"
	demoAppSecret   = "demo-application-secret"
	demoConsumerKey = "demo-consumer-key"
)

// demoConfig is the sample config the demo writes, against the sample
// account of ovhfake.SampleScenario.
const demoConfig = `# renewd demo config, written by "renewd demo"
schedule: "@every 6h"
state_file: %[1]s/renewd.db
report_within: 30d
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
  - name: domains-yearly
    match: {type: domain, name: "*.com"}
    action: renew
    renew_before: 30d
    period: P1Y
    max_price: 15.00
    payment: {mean: paypal, mean_id: 777}
  - name: domains-with-approval
    match: {type: domain}
    action: renew
    renew_before: 30d
    period: P1Y
    max_price: 15.00
    payment: {default: true}
    approval: {above: 5.00}
  - name: hosting-yearly
    match: {type: hosting/web}
    action: renew
    renew_before: 30d
    period: P1Y
    max_price: 60.00
    payment: {default: true}
  - name: dedicated-monthly
    match: {type: dedicated/server}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: 50.00
    payment: {method_id: 9001}
`

// setupDemo: demo runs renewd against a fake OVH, in-process, with a sample
// account: plan, a cycle, a second cycle that pays nothing, an approval and
// the cycle that pays it, then the fake's own record of orders and
// payments. It needs no credentials and no network.
func setupDemo(e *env, fs *pflag.FlagSet) runFunc {
	keep := fs.Bool("keep", false, "keep the demo's temporary directory (config and ledger)")
	levelName := fs.String("log-level", "error", "least severe lines logged, the `LEVEL`: debug (each call to the fake OVH), info, warn or error")
	completeWords(fs, "log-level", logLevels...)
	return func(ctx context.Context, _ []string) error { return demo(ctx, e, *keep, *levelName) }
}

func demo(ctx context.Context, e *env, keep bool, levelName string) error {
	level, err := config.ParseLogLevel(levelName)
	if err != nil {
		return usageErr("--log-level: %v", err)
	}
	dir, err := os.MkdirTemp("", "renewd-demo-")
	if err != nil {
		return fmt.Errorf("demo directory: %w", err)
	}
	if !keep {
		defer os.RemoveAll(dir)
	}

	now := time.Now().UTC()
	fake := ovhfake.New(ovhfake.SampleScenario(now), ovhfake.Options{
		AppKey: demoAppKey, AppSecret: demoAppSecret, ConsumerKey: demoConsumerKey,
		Rules: demoRules(), // the key `renewd auth` would have asked for
	})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	cfgPath, err := writeDemoFiles(dir, srv.URL+"/1.0")
	if err != nil {
		return err
	}
	// The demo reads nothing from the host's environment: no OVH_* variable
	// or credentials directory can leak into it.
	de := &env{getenv: func(string) string { return "" }, stdout: e.stdout, stderr: e.stderr}
	cfg, err := config.Load(cfgPath, de.getenv)
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	// Errors only by default: the tables and reports tell the story.
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	out := e.stdout

	fmt.Fprintf(out, "renewd demo: a fake OVH account at %s, config and ledger in %s\n\n", srv.URL, dir)
	if err := demoDoctor(ctx, de, cfgPath, fake); err != nil {
		return err
	}
	fmt.Fprintln(out, "== renewd plan: what a cycle would do (dryRun prices, nothing ordered) ==")
	if err := plan(ctx, de, cfg, log, false, false); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nOrders at OVH after plan: %d\n", len(fake.Orders()))

	reports := previewSender{w: out}
	cycle := func(title string) error {
		fmt.Fprintf(out, "\n== renewd once (%s) ==\n", title)
		fmt.Fprintln(out, "Reports, as Slack would show them:")
		err := once(ctx, de, cfg, log, reports, false, false)
		var ee *exitError
		switch {
		case errors.As(err, &ee) && ee.code == exitNotDone && ee.err == nil:
			fmt.Fprintln(out, "(exit 1: a due service was held or refused, as the policy says)")
		case err != nil:
			return fmt.Errorf("%s: %w", title, err)
		}
		return nil
	}
	if err := cycle("first cycle: renew and pay what is due within its cap"); err != nil {
		return err
	}
	if err := cycle("second cycle: nothing is paid twice"); err != nil {
		return err
	}

	// A person approves the renewal the policy held (as a click in Slack
	// would); the next cycle pays it and edits the request's message.
	held, _ := fake.Service(2002)
	term := renewd.Term{Account: renewd.DefaultAccount, ServiceID: held.ID, Expiration: held.Expiration}
	fmt.Fprintf(out, "\n== renewd approve --by demo %s ==\n", term)
	approve, _ := lookup("approve")
	if err := approve.exec(ctx, de, []string{term.String(), "--by", "demo", "--config", cfgPath}); err != nil {
		return fmt.Errorf("approve %s: %w", term, err)
	}
	if err := cycle("third cycle: the approved renewal is paid"); err != nil {
		return err
	}

	fmt.Fprintln(out, "\n== The fake OVH's own record ==")
	return writeFakeRecord(out, fake)
}

func writeDemoFiles(dir, endpoint string) (string, error) {
	for name, v := range map[string]string{
		"ovh-application-key":    demoAppKey,
		"ovh-application-secret": demoAppSecret,
		"ovh-consumer-key":       demoConsumerKey,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("demo credentials: %w", err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(demoConfig, dir, endpoint)), 0o600); err != nil {
		return "", fmt.Errorf("demo config: %w", err)
	}
	return path, nil
}

// writeFakeRecord prints the orders and payments the fake OVH saw, and
// checks from that record alone that no service was paid twice.
func writeFakeRecord(w io.Writer, fake *ovhfake.Fake) error {
	orders, payments := fake.Orders(), fake.Payments()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tSERVICES\tPERIOD\tPRICE\tSTATUS")
	serviceOf := map[int64]int64{}
	for _, o := range orders {
		serviceOf[o.ID] = o.ServiceID
		fmt.Fprintf(tw, "%d\t%v\t%s\t%s\t%s\n", o.ID, o.Services, o.Period,
			renewd.Money{Ucents: o.PriceUcents, Currency: "EUR"}, o.Status)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PAID ORDER\tROUTE\tPAID WITH\tAMOUNT (WITH TAX)")
	paidPerService := map[int64]int{}
	for _, p := range payments {
		paidPerService[serviceOf[p.OrderID]]++
		how := fmt.Sprintf("payment method %d", p.PaymentMethodID)
		if p.Route != "pay" {
			how = fmt.Sprintf("%s %d", p.Mean, p.MeanID)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", p.OrderID, p.Route, how, renewd.Money{Ucents: p.AmountUcents, Currency: "EUR"})
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d orders, %d payments, %d requests to the fake OVH.\n", len(orders), len(payments), fake.TotalRequests())
	for id, n := range paidPerService {
		if n > 1 {
			return fmt.Errorf("service %d was paid %d times", id, n)
		}
	}
	fmt.Fprintln(w, "Checked on the fake's record: no service was paid twice.")
	return nil
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// previewSender shows each report as the Slack message renewd would post
// (slack.Preview), instead of posting it; a report that would update an
// earlier message says so.
type previewSender struct{ w io.Writer }

func (p previewSender) Send(_ context.Context, key string, prev notify.Ref, r renewd.Report) (notify.Ref, error) {
	text := slack.Preview(r, true)
	if prev != (notify.Ref{}) {
		text = "(edits the message posted earlier)\n" + text
	}
	fmt.Fprintln(p.w, indent(text, "  | "))
	return notify.Ref{Channel: "preview", TS: key}, nil
}
