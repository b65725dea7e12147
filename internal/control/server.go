package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// SocketMode is the permission of the control socket: the daemon's user and
// group may use it, nobody else.
const SocketMode fs.FileMode = 0o660

// Defaults of Options.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 30 * time.Second
	DefaultBackupTimeout     = 10 * time.Minute
	DefaultMaxConns          = 16
)

// Options configure the server. The zero value is usable.
type Options struct {
	// Logger receives the server's log lines; nil discards them.
	Logger *slog.Logger
	// Group, when set, is the name of the group whose members, with root,
	// may decide (approve, deny, run-now, backup); Start resolves it and
	// fails when it does not exist. Empty lets every caller that can open
	// the socket decide. Reads (status, history, unreadable) are open to
	// every caller either way.
	Group string
	// PeerCred reads a connection's caller; nil means SocketPeer.
	PeerCred PeerCredFunc
	// ReadHeaderTimeout, ReadTimeout (the whole request, body included),
	// WriteTimeout (from the end of the headers to the end of the answer)
	// and IdleTimeout (between requests on a kept-alive connection); 0
	// means the Default* value.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// BackupTimeout replaces WriteTimeout for a backup; 0 means
	// DefaultBackupTimeout.
	BackupTimeout time.Duration
	// MaxConns bounds the connections served at once; more wait in the
	// listen backlog. 0 means DefaultMaxConns.
	MaxConns int

	// waiting, when set (tests), is called when the server is at MaxConns
	// and waits for a connection to close.
	waiting func()
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.BackupTimeout, DefaultBackupTimeout)
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.PeerCred == nil {
		o.PeerCred = SocketPeer
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server serves the control API on a unix socket.
type Server struct {
	path string
	srv  *http.Server
	done chan error

	closeOnce sync.Once
	closeErr  error
}

// Start listens on the unix socket at path and serves b on it until Close.
// A stale socket left by a daemon that died is removed first; a socket on
// which something still answers is an error, as is a path that is not a
// socket, and an Options.Group that does not exist.
//
// Every connection's caller is read from the kernel when it is accepted
// (Options.PeerCred); a decision is recorded as "cli:USER", USER being the
// caller's user name (or uid:N), whatever the request says. Requests are
// bounded: timeouts on reading, writing and idling, at most
// Options.MaxConns connections at once, a body of at most 16 KiB holding
// one JSON value, and no control or formatting character in any text
// field.
func Start(path string, b Backend, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	var grp *group
	if opts.Group != "" {
		var err error
		if grp, err = lookupGroup(opts.Group); err != nil {
			return nil, err
		}
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on control socket %s: %w", path, err)
	}
	// Go's unix listener unlinks the socket when closed; Close relies on it.
	if err := os.Chmod(path, SocketMode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("set the mode of control socket %s: %w", path, err)
	}
	lim := newLimitListener(ln, opts.MaxConns, opts.PeerCred)
	lim.waiting = opts.waiting
	s := &Server{
		path: path,
		srv: &http.Server{
			Handler:           newHandler(b, opts.Logger, grp, opts.BackupTimeout),
			ReadHeaderTimeout: opts.ReadHeaderTimeout,
			ReadTimeout:       opts.ReadTimeout,
			WriteTimeout:      opts.WriteTimeout,
			IdleTimeout:       opts.IdleTimeout,
			MaxHeaderBytes:    16 << 10,
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				if pc, ok := c.(*peerConn); ok {
					return withPeer(ctx, pc.peer, pc.peerErr)
				}
				return ctx
			},
			ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
		},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(lim) }()
	return s, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Close stops serving, waits (bounded by ctx) for requests in progress and
// removes the socket. Later calls return the first one's result.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Server) close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// removeStale removes a socket nobody listens on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket %s: exists and is not a socket", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("control socket %s: another process answers on it", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale control socket %s: %w", path, err)
	}
	return nil
}
