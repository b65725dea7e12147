package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// SocketMode is the permission of the control socket: the daemon's user and
// group may use it, nobody else.
const SocketMode fs.FileMode = 0o660

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
// socket.
func Start(path string, b Backend, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
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
	s := &Server{
		path: path,
		srv: &http.Server{
			Handler:           Handler(b, log),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
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

// Handler is the control API over b.
func Handler(b Backend, log *slog.Logger) http.Handler {
	h := &handler{b: b, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", h.status)
	mux.HandleFunc("GET /history", h.history)
	mux.HandleFunc("POST /approve", func(w http.ResponseWriter, r *http.Request) { h.decide(w, r, string(state.DecisionApproved)) })
	mux.HandleFunc("POST /deny", func(w http.ResponseWriter, r *http.Request) { h.decide(w, r, string(state.DecisionDenied)) })
	mux.HandleFunc("POST /run-now", h.runNow)
	mux.HandleFunc("POST /backup", h.backup)
	return mux
}

type handler struct {
	b   Backend
	log *slog.Logger
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	st, err := h.b.Status()
	if err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) history(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f state.HistoryFilter
	if v := q.Get("service"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			h.fail(w, http.StatusBadRequest, fmt.Errorf("service %q: not a service id", v))
			return
		}
		f.ServiceID = id
	}
	if v := q.Get("term"); v != "" {
		t, err := renewd.ParseTerm(v)
		if err != nil {
			h.fail(w, http.StatusBadRequest, err)
			return
		}
		f.Term = t.String()
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			h.fail(w, http.StatusBadRequest, fmt.Errorf("limit %q: not a count", v))
			return
		}
		f.Limit = n
	}
	events, err := h.b.History(f)
	if err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	if events == nil {
		events = []state.Event{}
	}
	writeJSON(w, http.StatusOK, events)
}

func (h *handler) decide(w http.ResponseWriter, r *http.Request, decision string) {
	var req decideRequest
	if !h.read(w, r, &req) {
		return
	}
	if req.Approval == "" || req.By == "" {
		h.fail(w, http.StatusBadRequest, errors.New("approval and by are required"))
		return
	}
	rec, err := h.b.Decide(req.Approval, decision, req.By)
	if err != nil {
		h.fail(w, decideStatus(err), err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// decideStatus maps the ledger's refusals to HTTP statuses.
func decideStatus(err error) int {
	switch {
	case errors.Is(err, state.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, state.ErrAlreadyDecided), errors.Is(err, state.ErrApprovalExpired), errors.Is(err, state.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

func (h *handler) runNow(w http.ResponseWriter, r *http.Request) {
	h.b.RunNow()
	writeJSON(w, http.StatusAccepted, struct{}{})
}

func (h *handler) backup(w http.ResponseWriter, r *http.Request) {
	var req backupRequest
	if !h.read(w, r, &req) {
		return
	}
	if !filepath.IsAbs(req.Path) {
		h.fail(w, http.StatusBadRequest, fmt.Errorf("backup path %q: must be absolute", req.Path))
		return
	}
	if err := h.b.Backup(req.Path); err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (h *handler) read(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		h.fail(w, http.StatusBadRequest, fmt.Errorf("read the request: %w", err))
		return false
	}
	return true
}

func (h *handler) fail(w http.ResponseWriter, code int, err error) {
	if code >= 500 {
		h.log.Error("control request failed", "err", err)
	}
	writeJSON(w, code, errorBody{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
