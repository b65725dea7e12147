package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// ledgerResult is the ledger's size after a simulated history.
type ledgerResult struct {
	Retention      time.Duration
	MonthlyPercent int
	Days           int
	Terms          int // terms renewed over the simulation
	LiveTerms      int // terms left in the ledger at the end
	Transitions    int
	Pruned         int
	FileBytes      int64 // the file as it stands (bbolt never shrinks it)
	InUseBytes     int64 // pages holding data: high water mark minus free pages
	CompactBytes   int64 // the file after bbolt.Compact into a new file
	// BucketBytes is the bytes of each bucket's keys, values and page
	// headers (bbolt's LeafInuse + BranchInuse), without the pages' free space.
	BucketBytes map[string]int64
	Prunes      int
	PruneTime   time.Duration // spent in Prune, all calls
	Wall        time.Duration
}

// simulateLedger drives a real state.Ledger through days of daily cycles
// over services services, monthlyPercent% renewed monthly and the rest
// yearly, on an
// injected clock advancing one day per cycle. Each renewal is the path a
// cycle writes: ordering, ordered, paying, paid on the day the window opens
// (7 days before expiry), delivered at the next day's cycle; each
// transition appends one history event. Every pruneEvery days, after the
// cycle as the daemon does, it prunes what is older than retention, which
// also folds the history of terms delivered over 30 days ago
// (state.DefaultFoldAfter) and shrinks their records to the settled form,
// and drops spent index entries older than the previous calendar month.
func simulateLedger(services, monthlyPercent, days int, retention time.Duration, pruneEvery int) (ledgerResult, error) {
	dir, err := os.MkdirTemp(tempBase(), "renewd-bench-ledger-")
	if err != nil {
		return ledgerResult{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "renewd.db")
	start := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	now := start
	ledger, err := state.Open(path, state.Options{Now: func() time.Time { return now }})
	if err != nil {
		return ledgerResult{}, err
	}
	defer ledger.Close()

	type svc struct {
		id      int64
		monthly bool
		exp     time.Time
	}
	svcs := make([]svc, services)
	for i := range svcs {
		s := svc{id: int64(i + 1), monthly: i%100 < monthlyPercent}
		span := 365
		if s.monthly {
			span = 30
		}
		s.exp = start.Truncate(24*time.Hour).AddDate(0, 0, 8+(i*37)%span)
		svcs[i] = s
	}
	res := ledgerResult{Retention: retention, Days: days, MonthlyPercent: monthlyPercent}
	wall := time.Now()
	var delivering []renewd.Term
	for day := range days {
		now = start.AddDate(0, 0, day)
		for _, term := range delivering {
			if _, err := ledger.Transition(term, state.StatusDelivered, "the expiration moved", nil, nil); err != nil {
				return res, err
			}
			res.Transitions++
		}
		delivering = delivering[:0]
		for i := range svcs {
			s := &svcs[i]
			if now.Before(s.exp.AddDate(0, 0, -7)) {
				continue
			}
			term := renewd.Term{Account: "default", ServiceID: s.id, Expiration: renewd.DateOf(s.exp)}
			if err := renewTerm(ledger, term, s.monthly, int64(res.Terms+1)); err != nil {
				return res, err
			}
			res.Terms++
			res.Transitions += 4
			delivering = append(delivering, term)
			if s.monthly {
				s.exp = s.exp.AddDate(0, 1, 0)
			} else {
				s.exp = s.exp.AddDate(1, 0, 0)
			}
		}
		if cutoff := now.Add(-retention); pruneEvery > 0 && day%pruneEvery == 0 {
			t := time.Now()
			n, err := ledger.Prune(cutoff)
			if err != nil {
				return res, err
			}
			res.PruneTime += time.Since(t)
			res.Prunes++
			res.Pruned += n
		}
	}
	res.Wall = time.Since(wall)
	if err := ledger.Close(); err != nil {
		return res, err
	}
	return res, measureFile(path, &res)
}

// renewTerm writes the four transitions of a renewal paid in one cycle,
// with the fields the renewal engine sets.
func renewTerm(l *state.Ledger, term renewd.Term, monthly bool, orderID int64) error {
	name, typ, rule, period, price := fmt.Sprintf("example-%06d.com", term.ServiceID), "domain", "domains-yearly", "P1Y", int64(9)
	if monthly {
		name, typ, rule, period, price = fmt.Sprintf("vps-%06d.vps.ovh.net", term.ServiceID), "vps", "vps-monthly", "P1M", 7
	}
	ucents := price * renewd.UcentsPerUnit
	steps := []struct {
		to     state.Status
		reason string
		mutate func(*state.Record) error
	}{
		{state.StatusOrdering, fmt.Sprintf("expires in 7 days, rule %s; %s EUR within cap", rule, renewd.FormatAmount(ucents)), func(r *state.Record) error {
			r.ServiceName, r.ServiceType, r.Rule, r.Period = name, typ, rule, period
			r.Services = []int64{term.ServiceID}
			r.CapUcents, r.Currency, r.QuoteUcents, r.QuoteWithTaxUcents = 15*renewd.UcentsPerUnit, "EUR", ucents, ucents*12/10
			r.Payment = renewd.PaymentForm{Default: true}
			r.IntentOVH = time.Now()
			return nil
		}},
		{state.StatusOrdered, fmt.Sprintf("order %d created at %s EUR", orderID, renewd.FormatAmount(ucents)), func(r *state.Record) error {
			r.OrderID, r.OrderUcents, r.OrderWithTaxUcents = orderID, ucents, ucents*12/10
			r.OrderExpires = term.Expiration.Start().Add(24 * time.Hour)
			return nil
		}},
		{state.StatusPaying, fmt.Sprintf("paying order %d with default payment method", orderID), func(r *state.Record) error {
			r.PayIntentOVH = time.Now()
			return nil
		}},
		{state.StatusPaid, fmt.Sprintf("order %d paid", orderID), nil},
	}
	for _, st := range steps {
		if _, err := l.Transition(term, st.to, st.reason, st.mutate, nil); err != nil {
			return err
		}
	}
	return nil
}

// measureFile fills the file, in-use and compacted sizes of a closed ledger.
func measureFile(path string, res *ledgerResult) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	res.FileBytes = fi.Size()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	var hwm int64
	err = db.View(func(tx *bolt.Tx) error { hwm = tx.Size(); return nil })
	stats := db.Stats()
	res.InUseBytes = hwm - int64(stats.FreeAlloc)
	res.BucketBytes = map[string]int64{}
	if err == nil {
		err = db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				st := b.Stats()
				if string(name) == "terms" {
					res.LiveTerms = st.KeyN
				}
				res.BucketBytes[string(name)] = int64(st.LeafInuse + st.BranchInuse)
				return nil
			})
		})
	}
	compact := path + ".compact"
	dst, err2 := bolt.Open(compact, 0o600, nil)
	if err == nil && err2 == nil {
		err = bolt.Compact(dst, db, 1<<20)
		_ = dst.Close()
	}
	_ = db.Close()
	if err != nil {
		return err
	}
	if err2 != nil {
		return err2
	}
	if fi, err := os.Stat(compact); err == nil {
		res.CompactBytes = fi.Size()
	}
	return nil
}

// ledgerMixes are the simulated mixes: the hard case of many monthly
// renewals, and the all-yearly mix most hosting accounts hold.
var ledgerMixes = []struct {
	name           string
	monthlyPercent int
}{
	{"70% monthly / 30% yearly (hard case)", 70},
	{"100% yearly (typical hosting account)", 0},
}

// ledgerTable runs the ledger simulations, each mix with a retention of one
// and of three years, and prints their table.
func ledgerTable(w io.Writer, o options) error {
	days := 365 * o.ledgerYears
	fmt.Fprintf(w, "Ledger after %d daily cycles over %d services, Prune every %d day(s), target <= 5 MB:\n", days, o.ledgerServices, o.pruneEvery)
	fmt.Fprintf(w, "  %-38s %-9s %7s %7s %11s %7s %8s %9s %12s %7s\n", "mix", "retention", "terms", "live", "transitions", "pruned", "file MB", "in-use MB", "compacted MB", "wall")
	for _, mix := range ledgerMixes {
		for _, years := range []int{1, 3} {
			fmt.Fprintf(os.Stderr, "ledger, %s, retention %dy...\n", mix.name, years)
			r, err := simulateLedger(o.ledgerServices, mix.monthlyPercent, days, time.Duration(years)*365*24*time.Hour, o.pruneEvery)
			if err != nil {
				return fmt.Errorf("ledger simulation, %s, retention %dy: %w", mix.name, years, err)
			}
			verdict := "met"
			if r.FileBytes > 5<<20 {
				verdict = "MISSED"
			}
			fmt.Fprintf(w, "  %-38s %-9s %7d %7d %11d %7d %8.2f %9.2f %12.2f %7s  %s\n", mix.name, fmt.Sprintf("%dy", years),
				r.Terms, r.LiveTerms, r.Transitions, r.Pruned, mb(r.FileBytes), mb(r.InUseBytes), mb(r.CompactBytes), r.Wall.Round(time.Second), verdict)
			data := r.BucketBytes["terms"] + r.BucketBytes["history"] + r.BucketBytes["spent"] + r.BucketBytes["orders"]
			fmt.Fprintf(w, "  %-38s data by bucket: terms %.2f MB, history %.2f MB, spent %.2f MB, orders %.2f MB (%.0f bytes a live term); %d Prune calls, %s each\n", "",
				mb(r.BucketBytes["terms"]), mb(r.BucketBytes["history"]), mb(r.BucketBytes["spent"]), mb(r.BucketBytes["orders"]),
				float64(data)/float64(max(r.LiveTerms, 1)), r.Prunes, meanDuration(r.PruneTime, r.Prunes))
		}
	}
	fmt.Fprintln(w)
	return nil
}
