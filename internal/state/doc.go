// Package state is renewd's ledger: one bbolt file that records, for every
// term (one renewal of one service), what was decided, quoted, approved,
// ordered and paid, so that renewd never pays twice.
//
// Each term has one Record, which moves through a fixed state machine
// (transitions, in status.go). Every change is one read-write bbolt
// transaction, committed and fsynced before the method returns: the intent
// statuses `ordering` and `paying` are on disk before the money-moving call
// they announce, so a crash leaves an intent that the caller reconciles with
// OVH (Record.MoneyInFlight, Ledger.InFlight) instead of retrying blind.
//
// The same transaction appends the transition to the history and puts the
// Slack reports it causes in a transactional outbox (outbox.go). Approvals
// are opaque random ids decided once (Ledger.Decide). Spending is summed
// from the ledger itself (Ledger.SpentSince), retention bounds its growth
// (Ledger.Prune, which also folds a settled term's history into one summary
// event after Options.FoldAfter and shrinks its record to the fields later
// code reads, compact.go), and Ledger.Backup writes a consistent hot
// copy. Values are stored in the compact forms of codec.go (VERSION.md).
//
// bbolt's exclusive file lock keeps a second renewd out (ErrLocked). The
// bucket layout is versioned (VERSION.md); Open refuses a newer one.
//
// Damage is met closed. Open checks the file against its bbolt meta pages
// before bbolt maps it, and a read that faults on the mapping of a file
// changed while open is an error, not a SIGBUS: both are ErrCorrupt
// (filecheck.go, fault.go). A single record that cannot be decoded is
// skipped by the scans, logged and listed by Ledger.Unreadable, while the
// lookups that lead to an order for its service (Get, ForService) fail
// with ErrUnreadable (unreadable.go). Backup refuses to write over the
// ledger under any of its names.
//
// The package imports no other package of renewd but the root domain
// package, and makes no network call.
package state
