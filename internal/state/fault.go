package state

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"syscall"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// boltDB is the ledger's bbolt handle, with its transactions guarded
// against the file changing under it. bbolt reads the file through a
// memory mapping; when the file is cut short or overwritten while it is
// open (a restore by `cp` over a running daemon's ledger), a read touches
// a page the file no longer holds and the kernel raises SIGBUS, which
// would kill the process. View and Update ask the runtime to turn such a
// fault on their goroutine into a panic (runtime/debug.SetPanicOnFault),
// recover it and return a *CorruptError instead; bbolt's own deferred
// rollback runs first, so the transaction is closed and nothing is
// written. Any other panic goes on unchanged.
//
// Every method of Ledger reads and writes through these two, so each one
// returns an ErrCorrupt error rather than crashing. Open checks the file
// before bbolt maps it (checkFile): this guard is the second line, for a
// file damaged after Open.
type boltDB struct {
	*bolt.DB
	path string
}

// View is bolt.DB.View, with faults on the mapping returned as ErrCorrupt.
func (d boltDB) View(fn func(*bolt.Tx) error) (err error) {
	defer recoverFault(d.path, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return d.DB.View(fn)
}

// Update is bolt.DB.Update, with faults on the mapping returned as
// ErrCorrupt (and the transaction rolled back).
func (d boltDB) Update(fn func(*bolt.Tx) error) (err error) {
	defer recoverFault(d.path, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return d.DB.Update(fn)
}

// faultAddr is what the runtime panics with on a memory fault once
// SetPanicOnFault is on: a runtime.Error with the faulting address.
type faultAddr interface {
	error
	Addr() uintptr
}

// recoverFault, deferred, turns a memory fault into a *CorruptError in
// *err and lets every other panic through.
func recoverFault(path string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if f, ok := r.(faultAddr); ok {
		*err = &CorruptError{Path: path, Reason: fmt.Sprintf(
			"reading it faulted (%v at %#x): the file was cut short or overwritten while renewd had it open", f, f.Addr())}
		return
	}
	panic(r)
}

// openBolt checks the file at path (checkFile), then opens it with bbolt.
// It returns the open handle and what the file bbolt opened is (for
// Backup's os.SameFile check: bbolt's own descriptor, not a path that may
// have been replaced since). A warning of checkFile goes to log. A panic inside bolt.Open, where none of
// renewd's code runs, is bbolt choking on a damaged file: it is returned
// as a *CorruptError too.
func openBolt(path string, opts bolt.Options, log *slog.Logger) (boltDB, os.FileInfo, error) {
	warn, err := checkFile(path)
	if err != nil {
		return boltDB{}, nil, err
	}
	if warn != "" {
		log.Warn("ledger meta page damaged; bbolt falls back to the other one, which may lack the last transaction", "path", path, "why", warn)
	}
	var file *os.File
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		if err == nil {
			file = f
		}
		return f, err
	}
	var db *bolt.DB
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				if file != nil {
					// bbolt's mapping keeps the open file, and so its lock,
					// alive after Close: unlock it first.
					_ = syscall.Flock(int(file.Fd()), syscall.LOCK_UN)
					_ = file.Close()
				}
				err = &CorruptError{Path: path, Reason: fmt.Sprintf("bbolt cannot read it (%v)", r)}
			}
		}()
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		db, err = bolt.Open(path, 0o600, &opts)
		if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) || errors.Is(err, bolterrors.ErrVersionMismatch) {
			err = &CorruptError{Path: path, Reason: fmt.Sprintf("bbolt refuses it (%v)", err)}
		}
		return err
	}()
	if err != nil {
		return boltDB{}, nil, err
	}
	fi, err := file.Stat()
	if err != nil {
		_ = db.Close()
		return boltDB{}, nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	return boltDB{DB: db, path: path}, fi, nil
}
