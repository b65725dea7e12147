package state

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// filledLedger writes a closed ledger of many pages (n due terms, each
// with a long reason) and returns its path with the page size and
// high-water page id its meta claims.
func filledLedger(t *testing.T, n int) (path string, pageSize, pgid int64) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "ledger.db")
	l := openAt(t, path, newClock())
	err := l.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			term := renewd.Term{Account: "acme", ServiceID: int64(i + 1), Expiration: renewd.DateOf(t0.AddDate(0, 1, 0))}
			if _, err := l.transition(tx, transitionArgs{actor: SystemActor, term: term, to: StatusDue,
				reason: strings.Repeat("padding ", 40)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	pageSize, pgid = metaOf(t, path)
	return path, pageSize, pgid
}

// metaOf reads the page size and high-water mark of the file's current meta.
func metaOf(t *testing.T, path string) (pageSize, pgid int64) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m0 := parseMeta(raw)
	if m0.problem != "" {
		t.Fatalf("first meta page: %s", m0.problem)
	}
	m1 := parseMeta(raw[m0.pageSize:])
	m := m0
	if m1.problem == "" && m1.txid > m0.txid {
		m = m1
	}
	return int64(m.pageSize), int64(m.pgid)
}

func wantCorrupt(t *testing.T, err error, path string) {
	t.Helper()
	var ce *CorruptError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || ce.Path != path {
		t.Fatalf("err = %v, want a *CorruptError for %s", err, path)
	}
	for _, want := range []string{path, "damaged", "renewd backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %q, want it to say %q", err, want)
		}
	}
}

// TestOpenRefusesATruncatedLedger cuts a ledger short at sizes that hit
// each of bbolt's readings of it, and opens it each way: each is a clear
// ErrCorrupt, and the file is left as it was (never re-initialised).
func TestOpenRefusesATruncatedLedger(t *testing.T) {
	path, ps, pgid := filledLedger(t, 300)
	if pgid < 20 {
		t.Fatalf("the ledger has %d pages: too few for a mid-file cut", pgid)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	need := ps * pgid
	for _, size := range []int64{
		0,         // empty: bbolt would start a new ledger in it
		40,        // shorter than a meta page
		ps - 1,    // within the first page
		ps + 100,  // between the meta pages
		2*ps + 1,  // just past both meta pages
		need / 2,  // mid-file: bbolt maps it and dies with SIGBUS
		need - ps, // one page short
		need - 1,  // one byte short
	} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			cut := filepath.Join(t.TempDir(), "cut.db")
			if err := os.WriteFile(cut, full[:size], 0o600); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{false, true} {
				l, err := Open(cut, Options{ReadOnly: ro})
				if err == nil {
					l.Close()
				}
				wantCorrupt(t, err, cut)
			}
			if got, _ := os.ReadFile(cut); !bytes.Equal(got, full[:size]) {
				t.Fatalf("Open changed the damaged file (%d bytes, was %d)", len(got), size)
			}
		})
	}
	t.Run("whole", func(t *testing.T) {
		cut := filepath.Join(t.TempDir(), "exact.db")
		if err := os.WriteFile(cut, full[:need], 0o600); err != nil {
			t.Fatal(err)
		}
		l := openAt(t, cut, nil) // exactly what the meta claims is enough
		if recs, err := l.List(Filter{}); err != nil || len(recs) != 300 {
			t.Fatalf("List = %d records, %v", len(recs), err)
		}
	})
}

// A backup is exactly the size its meta claims; one byte less is refused.
func TestOpenRefusesABackupOneByteShort(t *testing.T) {
	path, _, _ := filledLedger(t, 50)
	l := openAt(t, path, nil)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := l.Backup(backup); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(backup, fi.Size()-1); err != nil {
		t.Fatal(err)
	}
	_, err = Open(backup, Options{ReadOnly: true})
	wantCorrupt(t, err, backup)
}

// TestOpenChecksTheMetaPages: a damaged meta page is survivable when the
// other one is valid, as bbolt makes it (a torn meta write): the older meta
// gives the state before the last transaction, with a warning in the log.
// Neither valid, or a file that is no bbolt file, is ErrCorrupt.
func TestOpenChecksTheMetaPages(t *testing.T) {
	path, ps, _ := filledLedger(t, 20)
	l := openAt(t, path, newClock())
	reach(t, l, termOf(999, 1), StatusDue) // the last transaction
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	newer := int64(0) // the offset of the newer meta page
	if m0, m1 := parseMeta(full), parseMeta(full[ps:]); m1.txid > m0.txid {
		newer = ps
	}
	older := ps - newer
	damage := func(t *testing.T, offsets ...int64) string {
		t.Helper()
		b := bytes.Clone(full)
		for _, off := range offsets {
			b[off] ^= 0xff
		}
		p := filepath.Join(t.TempDir(), "damaged.db")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const txidAt = boltPageHeaderSize + 48 // a byte the checksum covers
	for _, tc := range []struct {
		name    string
		at      int64
		records int
	}{
		{"older meta damaged", older + txidAt, 21},
		{"newer meta damaged", newer + txidAt, 20}, // bbolt's fallback: the transaction before
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := damage(t, tc.at)
			var logs bytes.Buffer
			l, err := Open(p, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if recs, err := l.List(Filter{}); err != nil || len(recs) != tc.records {
				t.Fatalf("List = %d records, %v; want %d", len(recs), err, tc.records)
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "checksum mismatch") {
				t.Fatalf("no warning about the damaged meta page in the log:\n%s", logs.String())
			}
		})
	}
	t.Run("both metas damaged", func(t *testing.T) {
		p := damage(t, txidAt, ps+txidAt)
		_, err := Open(p, Options{})
		wantCorrupt(t, err, p)
		if !strings.Contains(err.Error(), "no valid bbolt meta page") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not a bbolt file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "text.db")
		if err := os.WriteFile(p, bytes.Repeat([]byte("not a ledger\n"), 2000), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(p, Options{})
		wantCorrupt(t, err, p)
	})
}

// TestAFileCutShortWhileOpenIsAnErrorNotACrash: the second line of
// defence. A ledger truncated under an open Ledger (a restore by cp over a
// running daemon's file) makes reads fault on the mapping; they return
// ErrCorrupt instead of killing the process with SIGBUS.
func TestAFileCutShortWhileOpenIsAnErrorNotACrash(t *testing.T) {
	path, ps, _ := filledLedger(t, 300)
	for _, ro := range []bool{true, false} {
		t.Run(fmt.Sprint("readOnly=", ro), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "ledger.db")
			full, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, full, 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(p, Options{ReadOnly: ro})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if err := os.Truncate(p, 2*ps); err != nil {
				t.Fatal(err)
			}
			_, err = l.List(Filter{})
			wantCorrupt(t, err, p)
			_, _, err = l.Get(termOf(7, 1))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get after the cut: err = %v, want ErrCorrupt", err)
			}
		})
	}
}
