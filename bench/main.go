// Command bench is renewd's performance harness. It compares the inventory
// of OVH's guide (one sequential signed call per service) with renewd's
// inventory forms against the fake OVH API with injected latency, and the
// incremental inventory's steady state with today's full plain one under
// OVH's fair use, measures
// the peak RSS of a full renewal cycle and the idle RSS of `renewd run`,
// and the ledger's size after years of daily cycles.
//
//	go run ./bench -n 1000,10000 -latency 20ms
//
// Run it from the module root. See docs/performance.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

// options are the command-line flags.
type options struct {
	ns             []int
	latency        time.Duration
	concurrency    int
	skipGuideAbove int
	sample         int
	rssN           int
	ledgerServices int
	ledgerYears    int
	pruneEvery     int
	skip           map[string]bool
	// child mode
	child, url, dir string
	childN          int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if o.child == "cycle" {
		return childCycle(ctx, o.childN, o.url, o.dir)
	} else if o.child != "" {
		return fmt.Errorf("unknown -child %q", o.child)
	}
	began := time.Now()
	fmt.Fprintf(stdout, "renewd bench: N=%v, latency %s per request (injected in the fake), %d cores\n\n", o.ns, o.latency, numCPU())

	if !o.skip["inventory"] {
		var rows []measurement
		for _, n := range o.ns {
			fmt.Fprintf(os.Stderr, "inventory N=%d...\n", n)
			ms, err := inventories(ctx, n, o)
			if err != nil {
				return fmt.Errorf("inventory N=%d: %w", n, err)
			}
			rows = append(rows, ms...)
		}
		printInventory(stdout, rows)
	}
	if !o.skip["incremental"] {
		if err := incrementalTable(ctx, stdout, o); err != nil {
			return err
		}
	}
	if !o.skip["cycle"] {
		fmt.Fprintf(os.Stderr, "cycle RSS N=%d...\n", o.rssN)
		res, kb, err := cycleRSS(ctx, o.rssN)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Peak RSS of one full cycle (child process, ru_maxrss), N=%d: %.1f MB  [measured]\n", o.rssN, float64(kb)/1024)
		fmt.Fprintf(stdout, "  cycle: %d outcomes, %d paid, %d reported, %d errors, %s wall (no latency, no rate limit, concurrency 8)\n\n",
			res.Outcomes, res.Paid, res.Reported, res.Errors, res.Wall.Round(time.Millisecond))
	}
	if !o.skip["idle"] {
		fmt.Fprintf(os.Stderr, "idle RSS of renewd run...\n")
		st, err := idleRSS(ctx, o.rssN)
		switch {
		case err != nil && strings.Contains(err.Error(), errNotBuilt.Error()):
			fmt.Fprintf(stdout, "Idle RSS of `renewd run`: not measured: renewd run not built\n  (%v)\n\n", err)
		case err != nil:
			fmt.Fprintf(stdout, "Idle RSS of `renewd run`: not measured: %v\n\n", err)
		default:
			fmt.Fprintf(stdout, "Idle RSS of `renewd run` 1s after its first cycle over N=%d: %.1f MB (VmRSS: %.1f MB anonymous, %.1f MB file-backed, %.1f MB shared: pages mapped from tmpfs)  [measured]\n"+
				"  of which mapped files: the binary %.1f MB, the ledger %.1f MB (bbolt's mmap: page cache, reclaimable)\n\n",
				o.rssN, float64(st.RSS)/1024, float64(st.Anon)/1024, float64(st.File)/1024, float64(st.Shmem)/1024,
				float64(st.Binary)/1024, float64(st.Ledger)/1024)
		}
	}
	if !o.skip["ledger"] {
		if err := ledgerTable(stdout, o); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "total bench time %s\n", time.Since(began).Round(time.Second))
	return nil
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	ns := fs.String("n", "1000,10000", "comma-separated service counts for the inventory comparison")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency the fake adds to every request (but GET /auth/time)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "renewd's inventory concurrency for form (c)")
	fs.IntVar(&o.skipGuideAbove, "skip-guide-above", 1000, "above this N, extrapolate (a) from -sample sequential calls instead of measuring it (0: always measure)")
	fs.IntVar(&o.sample, "sample", 500, "service reads in the sample that (a) is extrapolated from")
	fs.IntVar(&o.rssN, "rss-n", 10000, "services for the cycle and idle RSS measurements")
	fs.IntVar(&o.ledgerServices, "ledger-services", 1000, "services in the ledger simulation")
	fs.IntVar(&o.ledgerYears, "ledger-years", 3, "years of daily cycles in the ledger simulation")
	fs.IntVar(&o.pruneEvery, "prune-every", 1, "days between two Prune calls in the ledger simulation (0: never); the daemon prunes after every cycle")
	skip := fs.String("skip", "", "comma-separated parts to skip: inventory, incremental, limiter-check, cycle, idle, ledger")
	fs.StringVar(&o.child, "child", "", "internal: run as the child measurement (cycle)")
	fs.StringVar(&o.url, "url", "", "internal: the fake's base URL, for -child")
	fs.StringVar(&o.dir, "dir", "", "internal: the child's temporary directory")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, part := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			return o, fmt.Errorf("-n: %q is not a positive count", part)
		}
		o.ns = append(o.ns, n)
	}
	o.childN = o.ns[len(o.ns)-1]
	o.skip = map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.skip[s] = true
		}
	}
	return o, nil
}

func meanDuration(total time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return (total / time.Duration(n)).Round(time.Millisecond)
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
