package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestBackupRefusesTheLedgerUnderAnotherName is the systemd DynamicUser
// layout: /var/lib/renewd is a symbolic link to /var/lib/private/renewd,
// and docs/operations.md uses both names. A backup to the live ledger
// through either name, a symlink to it or a hard link of it is refused:
// nothing is written, the ledger keeps its file, and what is written after
// the refusal is there when the ledger is opened again.
func TestBackupRefusesTheLedgerUnderAnotherName(t *testing.T) {
	root := t.TempDir()
	private := filepath.Join(root, "private", "renewd")
	if err := os.MkdirAll(private, 0o700); err != nil {
		t.Fatal(err)
	}
	public := filepath.Join(root, "renewd")
	if err := os.Symlink(filepath.Join("private", "renewd"), public); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		open, backup string
		prepare      func(t *testing.T, ledger string) // makes the backup name before the backup
	}{
		{name: "opened through the link, backed up to the real directory",
			open: filepath.Join(public, "renewd.db"), backup: filepath.Join(private, "renewd.db")},
		{name: "opened in the real directory, backed up through the link",
			open: filepath.Join(private, "renewd.db"), backup: filepath.Join(public, "renewd.db")},
		{name: "a relative path through the link",
			open: filepath.Join(private, "renewd.db"), backup: "renewd/./renewd.db"},
		{name: "a symlink to the ledger",
			open: filepath.Join(private, "renewd.db"), backup: filepath.Join(root, "alias.db"),
			prepare: func(t *testing.T, ledger string) {
				if err := os.Symlink(ledger, filepath.Join(root, "alias.db")); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "a hard link of the ledger",
			open: filepath.Join(private, "renewd.db"), backup: filepath.Join(root, "hard.db"),
			prepare: func(t *testing.T, ledger string) {
				if err := os.Link(ledger, filepath.Join(root, "hard.db")); err != nil {
					t.Fatal(err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(root)
			for _, p := range []string{filepath.Join(private, "renewd.db"), filepath.Join(root, "alias.db"), filepath.Join(root, "hard.db")} {
				os.Remove(p)
			}
			l, err := Open(tc.open, Options{Now: newClock().Now})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			reach(t, l, termOf(1, 1), StatusPaid)
			if tc.prepare != nil {
				tc.prepare(t, filepath.Join(private, "renewd.db"))
			}
			before, err := os.Stat(filepath.Join(private, "renewd.db"))
			if err != nil {
				t.Fatal(err)
			}

			err = l.Backup(tc.backup)
			if !errors.Is(err, ErrBackupIsLedger) {
				t.Fatalf("Backup(%s) of %s = %v, want ErrBackupIsLedger", tc.backup, tc.open, err)
			}
			after, err := os.Stat(filepath.Join(private, "renewd.db"))
			if err != nil || !os.SameFile(before, after) {
				t.Fatalf("the ledger's file was replaced (%v)", err)
			}
			if tmp, _ := filepath.Glob(filepath.Join(private, ".*tmp-*")); len(tmp) != 0 {
				t.Fatalf("temporary files left: %v", tmp)
			}

			// Still written: a transition after the refusal survives a reopen.
			reach(t, l, termOf(2, 1), StatusOrdering)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			again := openAt(t, tc.open, nil)
			if rec := mustGet(t, again, termOf(2, 1)); rec.Status != StatusOrdering {
				t.Fatalf("after reopening, term 2 is %s, want ordering", rec.Status)
			}
			if rec := mustGet(t, again, termOf(1, 1)); rec.Status != StatusPaid {
				t.Fatalf("after reopening, term 1 is %s, want paid", rec.Status)
			}
		})
	}
}

// A backup beside the ledger, through the symlinked directory, is fine.
func TestBackupBesideTheLedgerThroughALink(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "private"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("private", filepath.Join(root, "public")); err != nil {
		t.Fatal(err)
	}
	l := openAt(t, filepath.Join(root, "public", "renewd.db"), newClock())
	reach(t, l, termOf(1, 1), StatusPaid)
	copyPath := filepath.Join(root, "private", "backup.db")
	if err := l.Backup(copyPath); err != nil {
		t.Fatal(err)
	}
	b := openAt(t, copyPath, nil)
	if rec := mustGet(t, b, termOf(1, 1)); rec.Status != StatusPaid {
		t.Fatalf("the copy has term 1 %s", rec.Status)
	}
	// Backing up over an earlier copy replaces the copy, not the ledger.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Backup(copyPath); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(copyPath)
	if err != nil || parseMeta(raw).problem != "" {
		t.Fatalf("the second copy is not a bbolt file (%v)", err)
	}
}

// The ledger's own name is refused even when it no longer holds the open
// file (removed, or replaced by a restore while renewd runs): a copy
// renamed there would be what the next start opens.
func TestBackupRefusesTheLedgersNameWhateverItHolds(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "private"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("private", filepath.Join(root, "public")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "private", "renewd.db")
	l := openAt(t, path, newClock())
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := l.Backup(filepath.Join(root, "public", "renewd.db")); !errors.Is(err, ErrBackupIsLedger) {
		t.Fatalf("Backup to the ledger's removed name = %v, want ErrBackupIsLedger", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("something was written at the ledger's name: %v", err)
	}
}
