package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/renewd/renewd/internal/state"
)

// writeInventory prints, under `renewd status`, each account's service
// cache: the services it holds, when each was last read at the latest
// (the oldest read), and when a read of every service last completed.
func writeInventory(w io.Writer, inv []state.CacheSummary) error {
	if len(inv) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSERVICES CACHED\tEVERY ONE READ SINCE\tLAST FULL READ")
	for _, s := range inv {
		last := stamp(s.LastFull)
		if s.LastFull.IsZero() {
			last = "never"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Account, s.Services, stamp(s.OldestRead), last)
	}
	return tw.Flush()
}
