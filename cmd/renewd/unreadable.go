package main

import (
	"fmt"
	"io"
	"time"

	"github.com/renewd/renewd/internal/state"
)

// writeUnreadable says which ledger records cannot be read and what to do,
// before anything else a listing shows; nothing when there are none. Keys
// are printed quoted: they may hold any byte.
func writeUnreadable(w io.Writer, us []state.UnreadableRecord) error {
	if len(us) == 0 {
		return nil
	}
	fmt.Fprintf(w, "UNREADABLE: the ledger holds %d record(s) that cannot be decoded. renewd does not renew their services until the ledger is restored: stop renewd, restore the latest `renewd backup` (docs/operations.md, \"Backup and restore\"), and compare `renewd plan` with the orders OVH shows.\n", len(us))
	for _, u := range us {
		fmt.Fprintf(w, "  %s %q: %s (found %s)\n", u.Bucket, u.Key, u.Err, u.SeenAt.UTC().Format(time.RFC3339))
	}
	_, err := fmt.Fprintln(w)
	return err
}
