package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/renewd/renewd/internal/state"
)

// requestTimeout bounds one request to the daemon; a backup of a large
// ledger may take longer, so Backup has its own.
const (
	requestTimeout = 30 * time.Second
	backupTimeout  = 10 * time.Minute
)

// Client talks to a daemon's control socket. It is safe for concurrent use.
type Client struct {
	path string
	http *http.Client
}

// APIError is a refusal the daemon answered with.
type APIError struct {
	Code    int
	Message string
}

func (e *APIError) Error() string { return e.Message }

// Dial checks that a daemon answers on the socket at path and returns a
// client for it. When nothing answers (no socket, or a stale one) the error
// wraps ErrNoDaemon.
func Dial(ctx context.Context, path string) (*Client, error) {
	if path == "" {
		return nil, fmt.Errorf("control socket disabled in the config: %w", ErrNoDaemon)
	}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := d.DialContext(dctx, "unix", path)
	if err != nil {
		return nil, dialError(path, err)
	}
	conn.Close()
	c := &Client{path: path}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		DisableKeepAlives: true,
	}}
	return c, nil
}

func dialError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("%s: %w", path, ErrNoDaemon)
	}
	return fmt.Errorf("connect to control socket %s: %w", path, err)
}

// Status returns the daemon's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "/status", nil, &st)
	return st, err
}

// History returns the ledger's events the filter selects (ServiceID, Term
// and Limit; the other fields are not sent).
func (c *Client) History(ctx context.Context, f state.HistoryFilter) ([]state.Event, error) {
	q := url.Values{}
	if f.ServiceID != 0 {
		q.Set("service", strconv.FormatInt(f.ServiceID, 10))
	}
	if f.Term != "" {
		q.Set("term", f.Term)
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var events []state.Event
	err := c.do(ctx, http.MethodGet, "/history?"+q.Encode(), nil, &events)
	return events, err
}

// Decide approves (decision "approved") or denies ("denied") the approval
// named by its id or its term, and returns the term's record. The daemon
// records the decision under the user this process runs as, with note
// (free text, may be empty) after it.
func (c *Client) Decide(ctx context.Context, approval, decision, note string) (state.Record, error) {
	route := map[string]string{string(state.DecisionApproved): "/approve", string(state.DecisionDenied): "/deny"}[decision]
	if route == "" {
		return state.Record{}, fmt.Errorf("decision %q: want approved or denied", decision)
	}
	var rec state.Record
	err := c.do(ctx, http.MethodPost, route, decideRequest{Approval: approval, Note: note}, &rec)
	return rec, err
}

// Unreadable returns the daemon's list of ledger records that cannot be
// decoded. A daemon that does not know the route (older than this client)
// gives an empty list.
func (c *Client) Unreadable(ctx context.Context) ([]state.UnreadableRecord, error) {
	var us []state.UnreadableRecord
	err := c.do(ctx, http.MethodGet, "/unreadable", nil, &us)
	if ae := (*APIError)(nil); errors.As(err, &ae) && ae.Code == http.StatusNotFound {
		return nil, nil
	}
	return us, err
}

// RunNow asks the daemon for a cycle now; it returns once the daemon has
// the request, not when the cycle ends.
func (c *Client) RunNow(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/run-now", struct{}{}, nil)
}

// Backup has the daemon write a consistent copy of its ledger to path
// (made absolute here; the daemon writes it, with its own permissions).
func (c *Client) Backup(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup path %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, backupTimeout)
	defer cancel()
	return c.do(ctx, http.MethodPost, "/backup", backupRequest{Path: abs}, nil)
}

func (c *Client) do(ctx context.Context, method, route string, body, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://renewd"+route, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return dialError(c.path, err)
		}
		return fmt.Errorf("control %s %s: %w", method, route, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("control %s %s: read the answer: %w", method, route, err)
	}
	if resp.StatusCode >= 300 {
		var eb errorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = fmt.Sprintf("control %s %s: %s", method, route, resp.Status)
		}
		return &APIError{Code: resp.StatusCode, Message: eb.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("control %s %s: decode the answer: %w", method, route, err)
	}
	return nil
}
