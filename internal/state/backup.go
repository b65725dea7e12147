package state

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// WriteTo writes a consistent copy of the whole ledger file to w, from one
// read transaction (tx.WriteTo): a hot backup that does not block writers.
// The copy is a bbolt file Open can read.
func (l *Ledger) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("write ledger %s: %w", l.path, err)
	}
	return n, nil
}

// Backup writes a consistent copy of the ledger to path (mode 0600): to a
// temporary file in the same directory, fsynced, then renamed over path, so
// path never holds a partial copy. path must not be the ledger itself.
func (l *Ledger) Backup(path string) (err error) {
	if abs, _ := filepath.Abs(path); abs != "" {
		if self, _ := filepath.Abs(l.path); abs == self {
			return fmt.Errorf("back up ledger %s: the backup path is the ledger itself", l.path)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("back up ledger to %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("back up ledger to %s: %w", path, err)
	}
	if _, err := l.WriteTo(tmp); err != nil {
		return fmt.Errorf("back up ledger to %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("back up ledger to %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("back up ledger to %s: close: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("back up ledger to %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("back up ledger to %s: sync directory: %w", path, err)
	}
	return nil
}
