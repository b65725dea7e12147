package state

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	l := openAt(t, filepath.Join(dir, "ledger.db"), newClock())
	for i, s := range Statuses {
		reach(t, l, termOf(int64(i+1), 1), s)
	}
	if err := l.Enqueue(Report{Key: "cycle/1"}); err != nil {
		t.Fatal(err)
	}
	want, err := l.List(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	wantHist, _ := l.History(HistoryFilter{})

	backup := filepath.Join(dir, "backup.db")
	if err := l.Backup(backup); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode = %o, want 600", info.Mode().Perm())
	}
	if err := l.Backup(l.Path()); err == nil {
		t.Fatal("Backup over the ledger itself succeeded")
	}

	var buf bytes.Buffer
	n, err := l.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v (buffer %d)", n, err, buf.Len())
	}
	streamed := filepath.Join(dir, "streamed.db")
	if err := os.WriteFile(streamed, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{backup, streamed} {
		b := openAt(t, path, nil) // the ledger stays open: a hot copy
		got, err := b.List(Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s records (-want +got):\n%s", path, diff)
		}
		gotHist, _ := b.History(HistoryFilter{})
		if diff := cmp.Diff(wantHist, gotHist); diff != "" {
			t.Fatalf("%s history (-want +got):\n%s", path, diff)
		}
		if items, _ := b.Outbox(0); len(items) != 1 {
			t.Fatalf("%s outbox has %d items", path, len(items))
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".backup.db.tmp-*")); len(matches) != 0 {
		t.Fatalf("temporary files left: %v", matches)
	}
}
