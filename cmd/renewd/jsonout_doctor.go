package main

import (
	"io"

	"github.com/renewd/renewd/internal/doctor"
)

// doctorOut is `renewd doctor --json`.
type doctorOut struct {
	Version int        `json:"version"`
	Renewd  string     `json:"renewd"`
	Status  string     `json:"status"`
	Checks  []checkOut `json:"checks"`
}

type checkOut struct {
	ID     string  `json:"id"`
	Status string  `json:"status"`
	Title  string  `json:"title"`
	Detail *string `json:"detail"`
	Fix    *string `json:"fix"`
}

func writeDoctorJSON(w io.Writer, rep doctor.Report) error {
	out := doctorOut{Version: jsonVersion, Renewd: rep.Renewd, Status: string(rep.Status), Checks: []checkOut{}}
	for _, c := range rep.Checks {
		out.Checks = append(out.Checks, checkOut{ID: c.ID, Status: string(c.Status), Title: c.Title,
			Detail: optString(c.Detail), Fix: optString(c.Fix)})
	}
	return writeJSON(w, out)
}
