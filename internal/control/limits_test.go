package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// guard is how long a test waits for something that must happen; the
// server's timeouts in these tests are far shorter.
const guard = 10 * time.Second

// rawConn dials the server's socket with a guard deadline.
func rawConn(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", s.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(guard))
	return c
}

// waitClosed reads from c until the server closes it, and fails the test if
// the guard deadline comes first.
func waitClosed(t *testing.T, c net.Conn, r *bufio.Reader) {
	t.Helper()
	if r == nil {
		r = bufio.NewReader(c)
	}
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %s", guard)
	}
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	s, _ := startServer(t, &backend{}, Options{
		PeerCred: fakePeer(Peer{UID: 1000}), IdleTimeout: 50 * time.Millisecond, ReadHeaderTimeout: 50 * time.Millisecond,
	})
	t.Run("kept alive after a request", func(t *testing.T) {
		c := rawConn(t, s)
		fmt.Fprint(c, "GET /status HTTP/1.1\r\nHost: renewd\r\n\r\n")
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("status = %d, close = %v: want a kept-alive 200", resp.StatusCode, resp.Close)
		}
		waitClosed(t, c, r)
	})
	t.Run("never a request", func(t *testing.T) {
		waitClosed(t, rawConn(t, s), nil)
	})
	t.Run("headers started, never finished", func(t *testing.T) {
		c := rawConn(t, s)
		fmt.Fprint(c, "GET /status HTTP/1.1\r\nHost: ren")
		waitClosed(t, c, nil)
	})
}

// A client that sends its headers, then trickles its body, is cut off at
// the read timeout, and its half-sent decision is never made.
func TestATricklingBodyIsCutOff(t *testing.T) {
	b := &backend{}
	s, _ := startServer(t, b, Options{PeerCred: fakePeer(Peer{UID: 0}), ReadTimeout: 100 * time.Millisecond})
	c := rawConn(t, s)
	body := `{"approval":"abc"}`
	fmt.Fprintf(c, "POST /approve HTTP/1.1\r\nHost: renewd\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:3])
	r := bufio.NewReader(c)
	if resp, err := http.ReadResponse(r, nil); err == nil {
		if resp.StatusCode < 400 {
			t.Fatalf("the trickled request got %d", resp.StatusCode)
		}
		resp.Body.Close()
	}
	waitClosed(t, c, r)
	if got := b.decisions(); len(got) != 0 {
		t.Fatalf("a decision was made from a cut-off body: %v", got)
	}
}

// TestConnectionsAreCapped: at MaxConns the server accepts no more until
// one closes; the next caller waits in the backlog, then is served.
func TestConnectionsAreCapped(t *testing.T) {
	atLimit := make(chan struct{}, 1)
	path := socketPath(t)
	s, err := Start(path, &backend{}, Options{
		PeerCred: fakePeer(Peer{UID: 1000}), MaxConns: 2, ReadHeaderTimeout: guard, IdleTimeout: guard,
		waiting: func() {
			select {
			case atLimit <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	idle := []net.Conn{rawConn(t, s), rawConn(t, s)} // accepted, then silent
	select {
	case <-atLimit:
	case <-time.After(guard):
		t.Fatal("the server never reached its connection limit")
	}

	c, err := Dial(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := c.Status(t.Context()); done <- err }()
	// The accept loop waits for a slot: the third caller cannot be served.
	select {
	case err := <-done:
		t.Fatalf("a third connection was served at a limit of 2 (%v)", err)
	default:
	}
	idle[0].Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the queued caller: %v", err)
		}
	case <-time.After(guard):
		t.Fatal("the queued caller was not served after a slot freed")
	}
}

func TestRequestBodiesAreBounded(t *testing.T) {
	b := &backend{}
	_, c := startServer(t, b)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		body string
		code int
	}{
		{"data after the JSON value", `{"approval":"abc"} {"approval":"other"}`, http.StatusBadRequest},
		{"garbage after the JSON value", `{"approval":"abc"}x`, http.StatusBadRequest},
		{"a second closing brace", `{"approval":"abc"}}`, http.StatusBadRequest},
		{"too large", `{"approval":"` + strings.Repeat("a", maxBodyBytes) + `"}`, http.StatusRequestEntityTooLarge},
		{"not JSON", `approval=abc`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://renewd/approve", strings.NewReader(tc.body))
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.code)
			}
		})
	}
	if got := b.decisions(); len(got) != 0 {
		t.Fatalf("refused bodies reached the backend: %v", got)
	}
	// Trailing whitespace is still one value.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://renewd/approve", strings.NewReader("{\"approval\":\"abc\"}\n\n"))
	resp, err := c.http.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a body with a trailing newline: %v %v", resp, err)
	}
	resp.Body.Close()
}
