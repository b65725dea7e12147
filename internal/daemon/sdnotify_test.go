package daemon

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// listenNotify listens on a unix datagram socket set as NOTIFY_SOCKET and
// returns the states received, in order, on a channel.
func listenNotify(t *testing.T) <-chan string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	out := make(chan string, 1024)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(out)
				return
			}
			out <- string(buf[:n])
		}
	}()
	return out
}

func TestSdNotifyReadyWatchdogStopping(t *testing.T) {
	states := listenNotify(t)
	e := newEnv(t)
	opts := e.options(t)
	opts.Notify = func(s string) {
		if _, err := sd.SdNotify(false, s); err != nil {
			t.Errorf("SdNotify(%q): %v", s, err)
		}
	}
	opts.Watchdog = 100 * time.Millisecond
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, d)

	// Wait for READY=1, then two watchdog pings (so they come from the loop,
	// repeatedly), then stop.
	var seen []string
	wait := func(want string, n int) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for got := 0; got < n; {
			select {
			case s, ok := <-states:
				if !ok {
					t.Fatalf("notify socket closed; seen %q", seen)
				}
				seen = append(seen, s)
				if s == want {
					got++
				}
			case <-deadline:
				t.Fatalf("no %q within 10 s; seen %q", want, seen)
			}
		}
	}
	wait("READY=1", 1)
	wait("WATCHDOG=1", 2)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	wait("STOPPING=1", 1)

	first := func(s string) int {
		for i, v := range seen {
			if v == s {
				return i
			}
		}
		return -1
	}
	if r, w, s := first("READY=1"), first("WATCHDOG=1"), first("STOPPING=1"); !(r < w && w < s) {
		t.Errorf("order: READY at %d, WATCHDOG at %d, STOPPING at %d, want that order; seen %q", r, w, s, seen)
	}
	var status bool
	for _, s := range seen {
		status = status || strings.HasPrefix(s, "STATUS=")
	}
	if !status {
		t.Errorf("no STATUS= line in %q", seen)
	}
}
