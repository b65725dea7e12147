// Package control is renewd's local API: a small HTTP API on a unix socket,
// through which the command line asks the running daemon for its status and
// history, approves or denies a held renewal, asks for a cycle now, and
// writes a backup of the ledger the daemon holds open. bbolt admits one
// writer, so while a daemon runs every other renewd command goes through it.
//
// The server side is Start (with a Backend, which the daemon implements);
// the client side is Dial. Both speak JSON:
//
//	GET  /status                          Status
//	GET  /history?service=&term=&limit=   []state.Event
//	GET  /unreadable                      []state.UnreadableRecord
//	POST /approve, /deny                  {"approval": ID or TERM, "note": TEXT} -> state.Record
//	POST /run-now                         {}
//	POST /backup                          {"path": ABSOLUTE FILE} -> {}
//
// Errors are {"error": "..."} with a 4xx or 5xx status.
//
// The caller is who the kernel says it is. The server reads each
// connection's peer credentials (SO_PEERCRED) and records a decision as
// "cli:USER" (the caller's user name, or uid:N), with the request's note,
// if any, after it as "(note: TEXT)"; a name the request claims ("by",
// sent by older clients) is ignored. With a control group (Options.Group)
// only root and the group's members may approve, deny, run a cycle or
// back up; anyone who can open the socket (mode 0660) may read. Text
// fields holding control or formatting characters are refused with 400
// naming the field.
package control

import (
	"errors"
	"time"

	"github.com/renewd/renewd/internal/state"
)

// Status is the daemon's state, as GET /status returns it.
type Status struct {
	// StartedAt is when the daemon started.
	StartedAt time.Time `json:"started_at"`
	// Schedule is the cron spec in force.
	Schedule string `json:"schedule"`
	// NextCycle is when the next scheduled cycle is planned; zero before
	// the scheduler has planned one.
	NextCycle time.Time `json:"next_cycle,omitzero"`
	// CycleRunning is true while a cycle runs.
	CycleRunning bool `json:"cycle_running"`
	// LastCycle is the last finished cycle; nil before the first one ends.
	LastCycle *Cycle `json:"last_cycle,omitempty"`
	// LastSuccess is when the last cycle without errors finished.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Terms are the open terms (not settled), as `renewd status` lists them.
	Terms []state.Record `json:"terms"`
	// PendingApprovals are the terms whose approval waits for a decision.
	PendingApprovals []state.Record `json:"pending_approvals"`
	// Unreadable are the ledger's records that cannot be decoded
	// (state.Ledger.Unreadable); empty when there are none.
	Unreadable []state.UnreadableRecord `json:"unreadable"`
	// Reports is the outbox: what waits, and what is parked.
	Reports *Reports `json:"reports,omitempty"`
	// Inventory is each account's service cache: how many services it
	// holds, its oldest read, and when every service was last read.
	Inventory []state.CacheSummary `json:"inventory"`
}

// Cycle is what one cycle did.
type Cycle struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Counts is the number of services per action (paid, refused, ...).
	Counts map[string]int `json:"counts"`
	// Errors are the failures that stopped part of the cycle.
	Errors []string `json:"errors,omitempty"`
	// OK is true when no part of the cycle failed.
	OK bool `json:"ok"`
	// NotRenewed is true when something due was left unrenewed.
	NotRenewed bool `json:"not_renewed"`
}

// Backend is what the server serves. The daemon implements it. Its methods
// are called from the server's goroutines, concurrently.
type Backend interface {
	Status() (Status, error)
	History(filter state.HistoryFilter) ([]state.Event, error)
	// Decide records a decision ("approved" or "denied") by actor on the
	// approval named by its id or its term. The server builds actor from
	// the caller's credentials ("cli:alice").
	Decide(approval, decision, actor string) (state.Record, error)
	// Unreadable lists the ledger's records that cannot be decoded.
	Unreadable() []state.UnreadableRecord
	// RunNow asks for a cycle now, without waiting for it.
	RunNow()
	// Backup writes a consistent copy of the ledger to path.
	Backup(path string) error
}

// ErrNoDaemon is returned by the client when no daemon answers on the
// socket: the caller may then open the ledger itself.
var ErrNoDaemon = errors.New("no renewd daemon answers on the control socket")

// decideRequest is the body of POST /approve and /deny.
type decideRequest struct {
	Approval string `json:"approval"`
	// Note is free text recorded after the caller's name.
	Note string `json:"note,omitempty"`
	// By is the actor that clients before peer credentials sent. It is
	// checked as text and otherwise ignored: the actor is the caller.
	By string `json:"by,omitempty"`
}

// backupRequest is the body of POST /backup.
type backupRequest struct {
	Path string `json:"path"`
}

type errorBody struct {
	Error string `json:"error"`
}
