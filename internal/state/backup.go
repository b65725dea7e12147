package state

import (
	"errors"
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
// path never holds a partial copy.
//
// path must not be the ledger itself under any name: renaming a copy over
// the live file would leave the open ledger writing to a deleted file, and
// the next start would read the copy, without what was paid since. Backup
// refuses (writing nothing) when path is the file the ledger has open
// (os.SameFile: through a symbolic link, a symlinked directory such as
// systemd's /var/lib/renewd -> /var/lib/private/renewd, or a hard link),
// or when path, its directory's symbolic links resolved, is the ledger's
// own path resolved the same way (even if that name now holds another
// file).
func (l *Ledger) Backup(path string) (err error) {
	if err := l.checkBackupTarget(path); err != nil {
		return err
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

// ErrBackupIsLedger: Backup was asked to write over the ledger itself.
var ErrBackupIsLedger = errors.New("the backup path is the ledger itself")

// checkBackupTarget refuses a backup path that is the ledger (see Backup).
func (l *Ledger) checkBackupTarget(path string) error {
	refuse := func(how string) error {
		return fmt.Errorf("back up ledger %s to %s: %w (%s); write the copy to another file", l.path, path, ErrBackupIsLedger, how)
	}
	if fi, err := os.Stat(path); err == nil && os.SameFile(fi, l.self) {
		return refuse("the same file")
	}
	target, err := resolvedName(path)
	if err != nil {
		return fmt.Errorf("back up ledger to %s: %w", path, err)
	}
	if self, err := resolvedName(l.path); err == nil && self == target {
		return refuse("the same path once links are resolved")
	}
	return nil
}

// resolvedName is path made absolute with the symbolic links of its
// directory resolved; the last element is kept as it is, since that is the
// name a rename replaces.
func resolvedName(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}
