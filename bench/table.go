package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

func numCPU() int { return runtime.NumCPU() }

// printInventory prints the inventory table, with the ratios of each row
// against the guide's row of the same N.
func printInventory(w io.Writer, rows []measurement) {
	fmt.Fprintf(w, "%6s  %-50s %9s %11s %10s %10s  %s\n", "N", "form", "requests", "wall", "req ratio", "time ratio", "how")
	var guide measurement
	for _, r := range rows {
		if r.Form[:3] == "(a)" {
			guide = r
		}
		reqRatio, timeRatio := "", ""
		if r.Form[:3] != "(a)" && guide.N == r.N {
			reqRatio = fmt.Sprintf("%.1fx", float64(guide.Requests)/float64(r.Requests))
			timeRatio = fmt.Sprintf("%.1fx", guide.Wall.Seconds()/r.Wall.Seconds())
		}
		fmt.Fprintf(w, "%6d  %-50s %9d %11s %10s %10s  %s\n", r.N, r.Form, r.Requests, round(r.Wall), reqRatio, timeRatio, r.Note)
	}
	fmt.Fprintln(w, "ratios are (a)/row: how many times fewer requests and how many times faster than the guide's form")
	fmt.Fprintln(w, "requests are counted by the fake and include go-ovh's one GET /auth/time")
	fmt.Fprintln(w)
}

func round(d time.Duration) time.Duration {
	switch {
	case d > 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}
