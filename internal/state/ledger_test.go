package state

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

func TestOpenCreatesFile0600WithSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openAt(t, path, nil)
	if l.Path() != path {
		t.Fatalf("Path() = %q, want %q", l.Path(), path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("mode = %o, want 600", mode)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := readMeta(t, path), strconv.Itoa(SchemaVersion); got != want {
		t.Fatalf("schema_version = %q, want %q", got, want)
	}
}

func readMeta(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(keySchemaVersion))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func setMeta(t *testing.T, path, version string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte(version))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesNewerOrUnreadableSchema(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"4", "schema version 4 is newer than 3"},
		{"x", "unreadable schema version"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.db")
			l := openAt(t, path, nil)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			setMeta(t, path, tc.version)
			for _, ro := range []bool{false, true} {
				_, err := Open(path, Options{ReadOnly: ro})
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
					t.Fatalf("Open(readOnly=%v) err = %v, want one naming %q and the path", ro, err, tc.want)
				}
			}
			if got := readMeta(t, path); got != tc.version {
				t.Fatalf("Open rewrote schema_version to %q", got)
			}
		})
	}
}

func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "missing.db"), Options{ReadOnly: true})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("read-only Open of a missing file: err = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("read-only Open created the file")
	}

	path := filepath.Join(dir, "ledger.db")
	l := openAt(t, path, nil)
	reach(t, l, termOf(1, 1), StatusDue)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true}) // readers share the lock
	if err != nil {
		t.Fatalf("second read-only Open: %v", err)
	}
	defer r2.Close()
	if rec := mustGet(t, r2, termOf(1, 1)); rec.Status != StatusDue {
		t.Fatalf("read-only Get: %+v", rec)
	}
	if _, err := r1.Transition(termOf(1, 1), StatusOrdering, "x", intent, nil); !errors.Is(err, bolterrors.ErrDatabaseReadOnly) {
		t.Fatalf("Transition on a read-only ledger: err = %v", err)
	}
	_, err = Open(path, Options{LockTimeout: 60 * time.Millisecond}) // a writer waits for readers
	wantErrIs(t, err, ErrLocked)
}

// TestSecondOpenerIsLocked: bbolt's flock is per open file description, so a
// second Open blocks even within one process; Open turns the wait into
// ErrLocked with the exact message, after the lock timeout.
func TestSecondOpenerIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	first := openAt(t, path, nil)

	for _, ro := range []bool{false, true} {
		start := time.Now()
		second, err := Open(path, Options{LockTimeout: 60 * time.Millisecond, ReadOnly: ro})
		elapsed := time.Since(start)
		if err == nil {
			second.Close()
			t.Fatalf("second Open (readOnly=%v) succeeded while the first holds the lock", ro)
		}
		wantErrIs(t, err, ErrLocked)
		if want := "another renewd holds " + path; err.Error() != want {
			t.Fatalf("error text = %q, want %q", err.Error(), want)
		}
		if elapsed > 2*time.Second {
			t.Fatalf("second Open took %s", elapsed)
		}
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path, nil) // released on Close
}

// TestDurableAfterTransitionReturns: what Transition wrote is in the file
// the moment it returns, before Close: a byte copy taken then opens and
// holds it, as does the file itself after Close.
func TestDurableAfterTransitionReturns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	l := openAt(t, path, newClock())
	term := termOf(1, 1)
	want, err := l.Transition(term, StatusOrdering, "intent", intent, nil)
	if err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(path) // as a crash would leave it: no Close
	if err != nil {
		t.Fatal(err)
	}
	snapshot := filepath.Join(dir, "snapshot.db")
	if err := os.WriteFile(snapshot, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, snapshot, nil)
	if diff := cmp.Diff(want, mustGet(t, s, term)); diff != "" {
		t.Fatalf("snapshot record (-want +got):\n%s", diff)
	}

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	again := openAt(t, path, nil)
	if diff := cmp.Diff(want, mustGet(t, again, term)); diff != "" {
		t.Fatalf("reopened record (-want +got):\n%s", diff)
	}
}

const crashEnv = "RENEWD_STATE_CRASH_LEDGER"

// TestCrashAfterOrderingIntent runs a child process that writes the
// ordering intent and is then killed with SIGKILL, without Close. The
// reopened ledger holds the intent, and the lock died with the process.
func TestCrashAfterOrderingIntent(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashAfterOrderingIntent$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child: err = %v, output:\n%s", err, out)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v, output:\n%s", err, out)
	}

	l := openAt(t, path, nil)
	rec := mustGet(t, l, termOf(1, 1))
	if rec.Status != StatusOrdering || !rec.MoneyInFlight() {
		t.Fatalf("after the crash: status %s, money in flight %v", rec.Status, rec.MoneyInFlight())
	}
	inflight, err := l.InFlight()
	if err != nil || len(inflight) != 1 {
		t.Fatalf("InFlight = %d records, err %v; want the ordering intent", len(inflight), err)
	}
}

func crashChild(path string) {
	l, err := Open(path, Options{})
	if err != nil {
		os.Exit(3)
	}
	if _, err := l.Transition(termOf(1, 1), StatusOrdering, "intent", intent, nil); err != nil {
		os.Exit(4)
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // not reached
}

func TestMethodsFailAfterClose(t *testing.T) {
	l := openTemp(t, nil)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Transition(termOf(1, 1), StatusDue, "x", nil, nil); err == nil {
		t.Fatal("Transition after Close succeeded")
	}
}
