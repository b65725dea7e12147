package control

import "time"

// Reports is the state of the report outbox, as GET /status returns it.
type Reports struct {
	// Waiting is how many reports wait to be delivered.
	Waiting int `json:"waiting"`
	// Parked are the reports the destination refused for good, oldest
	// first; they are sent again on the next reload or restart.
	Parked []ParkedReport `json:"parked"`
}

// ParkedReport is one parked report.
type ParkedReport struct {
	Key      string    `json:"key"`
	Kind     string    `json:"kind"`
	Title    string    `json:"title"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts"`
	Enqueued time.Time `json:"enqueued"`
	ParkedAt time.Time `json:"parked_at"`
}
