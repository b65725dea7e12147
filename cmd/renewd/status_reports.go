package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/renewd/renewd/internal/control"
)

// writeReports prints the outbox's state under `renewd status`: nothing
// when every report went out; otherwise how many wait and, for each parked
// report, Slack's error and its headline, with what to do.
func writeReports(w io.Writer, r *control.Reports) error {
	if r == nil || (r.Waiting == 0 && len(r.Parked) == 0) {
		return nil
	}
	fmt.Fprintln(w)
	if r.Waiting > 0 {
		fmt.Fprintf(w, "%d report(s) wait to be sent (Slack is slow, failing or rate-limiting; they go out once it answers).\n", r.Waiting)
	}
	if len(r.Parked) == 0 {
		return nil
	}
	fmt.Fprintf(w, "%d report(s) parked: Slack refused them for good, so they are not retried on their own. The log holds each one in full.\n", len(r.Parked))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARKED\tKIND\tKEY\tERROR\tREPORT")
	for _, p := range r.Parked {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ParkedAt.UTC().Format(time.RFC3339), printable(p.Kind), printable(p.Key), printable(p.Error), printable(p.Title))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "Fix the cause (invite the bot to the channel, the channel id, the token), then `systemctl reload renewd` (or restart it, or run `renewd once`) to send them again.")
	return err
}
