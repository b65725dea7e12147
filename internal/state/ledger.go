package state

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout of buckets and values this package reads and
// writes (VERSION.md). Open refuses a file with a newer version.
const SchemaVersion = 3

// DefaultLockTimeout is how long Open waits for another process's lock.
const DefaultLockTimeout = 200 * time.Millisecond

// DefaultFoldAfter is the detail window of Options.FoldAfter.
const DefaultFoldAfter = 30 * 24 * time.Hour

// Bucket names (schema 3; orders is new in 3, services is an additive part
// of 3: older files get it on their first read-write Open).
var (
	bucketMeta      = []byte("meta")
	bucketTerms     = []byte("terms")
	bucketHistory   = []byte("history")
	bucketApprovals = []byte("approvals")
	bucketOutbox    = []byte("outbox")
	bucketMessages  = []byte("messages")
	bucketSpent     = []byte("spent")
	bucketOrders    = []byte("orders")

	allBuckets = [][]byte{bucketMeta, bucketTerms, bucketHistory, bucketApprovals, bucketOutbox, bucketMessages, bucketSpent, bucketOrders, bucketServices}

	keySchemaVersion = []byte("schema_version")
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrLocked: another process (or another Ledger in this process) holds
	// the file. The error's text is "another renewd holds <path>".
	ErrLocked = errors.New("ledger locked by another renewd")
	// ErrConflict: the transition is not allowed from the record's current
	// status (or, for Touch, the record changed in a way Touch may not).
	ErrConflict = errors.New("transition not allowed")
	// ErrNotFound: no such record, approval or outbox item.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyDecided: the approval is not pending any more (decided,
	// expired, or the term moved on).
	ErrAlreadyDecided = errors.New("approval already decided")
	// ErrSuperseded: the approval was replaced by a newer request for the
	// same term (a re-ask at a new price). It is also an ErrAlreadyDecided.
	ErrSuperseded = fmt.Errorf("approval superseded by a newer request: %w", ErrAlreadyDecided)
	// ErrApprovalExpired: the approval's deadline has passed.
	ErrApprovalExpired = errors.New("approval expired")
)

// lockedError is ErrLocked with the path, in the exact words operators see.
type lockedError struct{ path string }

func (e *lockedError) Error() string        { return "another renewd holds " + e.path }
func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// Options configure Open. The zero value is usable.
type Options struct {
	// Now is the clock; nil means time.Now. Times are stored in UTC.
	Now func() time.Time
	// LockTimeout bounds the wait for the file lock; 0 means
	// DefaultLockTimeout. After it Open fails with ErrLocked.
	LockTimeout time.Duration
	// ReadOnly opens with a shared lock for reading: several read-only
	// openers may share the file, but not with a writer. Every mutation
	// then fails. The file must exist and hold a ledger.
	ReadOnly bool
	// Logger receives the ledger's few log lines; nil discards them.
	Logger *slog.Logger
	// FoldAfter is the detail window: Prune folds the history of a term
	// delivered longer ago than this into one summary event (Event.Folded)
	// and shrinks its record to the settled form (Record).
	// 0 means DefaultFoldAfter; a negative value never folds.
	FoldAfter time.Duration
}

// Ledger is renewd's bbolt ledger. It is safe for concurrent use by many
// goroutines; bbolt serialises writers, and every mutation is one
// read-write transaction committed and fsynced before the method returns.
// No network call happens inside a transaction: the package makes none, and
// mutate callbacks must make none either.
type Ledger struct {
	db        boltDB      // bbolt, with faults on its mapping returned as ErrCorrupt (fault.go)
	self      os.FileInfo // the file bbolt opened, for Backup (os.SameFile)
	path      string
	now       func() time.Time
	logger    *slog.Logger
	foldAfter time.Duration

	// eventsDecoded counts history events decoded, for tests of what a
	// call reads.
	eventsDecoded atomic.Int64

	unreadable unreadableSet // what Unreadable returns (unreadable.go)
}

// Open opens the ledger at path, creating the file (mode 0600) and its
// buckets when absent. It fails with ErrLocked when another process, or
// another Ledger of this process, holds the file for longer than
// LockTimeout, and with a clear error when the file's schema version is
// newer than SchemaVersion (nothing is written to such a file).
//
// Before bbolt maps the file, Open checks it holds everything its bbolt
// meta pages say it does (filecheck.go): a file cut short, empty, or not
// a bbolt file fails with an error wrapping ErrCorrupt (a *CorruptError
// naming the file and saying to restore the latest backup), and nothing is
// written to it. Open then decodes every record once (some 7 µs a
// record), so that Unreadable is complete from the start.
func Open(path string, opts Options) (*Ledger, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	if created && opts.ReadOnly {
		return nil, fmt.Errorf("open ledger %s read-only: %w", path, fs.ErrNotExist)
	}

	db, self, err := openBolt(path, bolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly}, logger)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, &lockedError{path: path}
	}
	if errors.Is(err, ErrCorrupt) {
		return nil, err // names the file itself
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	foldAfter := opts.FoldAfter
	if foldAfter == 0 {
		foldAfter = DefaultFoldAfter
	}
	l := &Ledger{db: db, self: self, path: path, now: now, logger: logger, foldAfter: foldAfter}

	if opts.ReadOnly {
		err = db.View(func(tx *bolt.Tx) error {
			v, err := checkSchema(tx, path)
			if err == nil && v < SchemaVersion {
				err = fmt.Errorf("open ledger %s read-only: schema version %d needs migrating to %d; run any renewd command that writes the ledger (renewd run or once) first", path, v, SchemaVersion)
			}
			return err
		})
	} else {
		err = l.backupBeforeMigrate(db)
		if err == nil {
			err = db.Update(func(tx *bolt.Tx) error { return l.initSchema(tx, path) })
		}
	}
	if err == nil {
		err = l.scanAll()
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if created {
		// bbolt fsyncs the file but not the directory entry; a power loss
		// right after creating the file could otherwise lose it (bbolt
		// README, "Caveats").
		if err := syncDir(filepath.Dir(path)); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("open ledger %s: sync directory: %w", path, err)
		}
		logger.Info("created ledger", "path", path, "schema_version", SchemaVersion)
	}
	return l, nil
}

// initSchema creates the buckets of a new file, or checks the version of an
// existing one before touching anything and migrates an older one.
func (l *Ledger) initSchema(tx *bolt.Tx, path string) error {
	if meta := tx.Bucket(bucketMeta); meta != nil {
		v, err := checkSchema(tx, path)
		if err != nil {
			return err
		}
		if v < SchemaVersion {
			if err := l.migrate(tx, v); err != nil {
				return fmt.Errorf("open ledger %s: migrate schema %d to %d: %w", path, v, SchemaVersion, err)
			}
		}
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("open ledger %s: create bucket %s: %w", path, name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta.Get(keySchemaVersion) == nil {
		return meta.Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion)))
	}
	return nil
}

// backupBeforeMigrate writes a copy of a ledger whose schema is older than
// SchemaVersion beside it, as PATH.schemaN-YYYYMMDDTHHMMSSZ.bak, before Open
// migrates it: a migration is one transaction, but an operator who wants
// the old file back (to run an older renewd) has it. A current or new file
// is not copied.
func (l *Ledger) backupBeforeMigrate(db boltDB) error {
	var v int
	err := db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return nil // a new file
		}
		var err error
		v, err = checkSchema(tx, l.path)
		return err
	})
	if err != nil || v == 0 || v >= SchemaVersion {
		return err
	}
	name := fmt.Sprintf("%s.schema%d-%s.bak", l.path, v, l.nowUTC().Format("20060102T150405Z"))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("open ledger %s: back up before migrating schema %d: %w", l.path, v, err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(name))
	}
	if err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("open ledger %s: back up before migrating schema %d: %w", l.path, v, err)
	}
	l.logger.Info("backed up the ledger before migrating it", "path", l.path, "backup", name, "from", v, "to", SchemaVersion)
	return nil
}

// checkSchema returns the file's schema version, and refuses a file that is
// not a ledger or whose version is newer than SchemaVersion.
func checkSchema(tx *bolt.Tx, path string) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, fmt.Errorf("open ledger %s: not a renewd ledger (no %q bucket)", path, bucketMeta)
	}
	raw := meta.Get(keySchemaVersion)
	if raw == nil {
		return 0, fmt.Errorf("open ledger %s: not a renewd ledger (no schema version)", path)
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("open ledger %s: unreadable schema version %q", path, raw)
	}
	if v > SchemaVersion {
		return 0, fmt.Errorf("open ledger %s: schema version %d is newer than %d, the newest this renewd knows; run a newer renewd", path, v, SchemaVersion)
	}
	return v, nil
}

// Close releases the file and its lock. Methods called after Close fail.
func (l *Ledger) Close() error {
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("close ledger %s: %w", l.path, err)
	}
	return nil
}

// Path is the file the ledger was opened from.
func (l *Ledger) Path() string { return l.path }

// nowUTC reads the clock, in UTC and without a monotonic reading, so that
// what is returned equals what is read back.
func (l *Ledger) nowUTC() time.Time { return l.now().UTC().Round(0) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
