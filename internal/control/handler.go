package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// maxBodyBytes caps a request body: the largest request is a backup path.
const maxBodyBytes = 16 << 10

// newHandler is the control API over b. Decisions (approve, deny, run-now,
// backup) are taken as the connection's peer (peerFrom), and, with grp,
// only from root and grp's members; reads are open to every caller.
func newHandler(b Backend, log *slog.Logger, grp *group, backupTimeout time.Duration) http.Handler {
	h := &handler{b: b, log: log, group: grp, backupTimeout: backupTimeout}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", h.status)
	mux.HandleFunc("GET /history", h.history)
	mux.HandleFunc("GET /unreadable", h.unreadable)
	mux.HandleFunc("POST /approve", func(w http.ResponseWriter, r *http.Request) { h.decide(w, r, string(state.DecisionApproved)) })
	mux.HandleFunc("POST /deny", func(w http.ResponseWriter, r *http.Request) { h.decide(w, r, string(state.DecisionDenied)) })
	mux.HandleFunc("POST /run-now", h.runNow)
	mux.HandleFunc("POST /backup", h.backup)
	return mux
}

type handler struct {
	b             Backend
	log           *slog.Logger
	group         *group
	backupTimeout time.Duration
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	st, err := h.b.Status()
	if err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) unreadable(w http.ResponseWriter, r *http.Request) {
	us := h.b.Unreadable()
	if us == nil {
		us = []state.UnreadableRecord{}
	}
	writeJSON(w, http.StatusOK, us)
}

func (h *handler) history(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k, vs := range q {
		for _, v := range vs {
			if err := checkText(k, v, maxQueryLen); err != nil {
				h.fail(w, http.StatusBadRequest, err)
				return
			}
		}
	}
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
	for _, f := range []struct {
		name, v string
		max     int
	}{{"approval", req.Approval, maxApprovalLen}, {"note", req.Note, maxNoteLen}, {"by", req.By, maxNoteLen}} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			h.fail(w, http.StatusBadRequest, err)
			return
		}
	}
	if req.Approval == "" {
		h.fail(w, http.StatusBadRequest, &FieldError{Field: "approval", Reason: "required"})
		return
	}
	name, ok := h.caller(w, r, decision)
	if !ok {
		return
	}
	// The actor is who the kernel says called; the request's own claim
	// ("by") is ignored, and its note is recorded as a note.
	actor := actorOf(name, req.Note)
	rec, err := h.b.Decide(req.Approval, decision, actor)
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
	if _, ok := h.caller(w, r, "run-now"); !ok {
		return
	}
	h.b.RunNow()
	writeJSON(w, http.StatusAccepted, struct{}{})
}

func (h *handler) backup(w http.ResponseWriter, r *http.Request) {
	var req backupRequest
	if !h.read(w, r, &req) {
		return
	}
	if err := checkText("path", req.Path, maxPathLen); err != nil {
		h.fail(w, http.StatusBadRequest, err)
		return
	}
	if !filepath.IsAbs(req.Path) {
		h.fail(w, http.StatusBadRequest, &FieldError{Field: "path", Reason: fmt.Sprintf("%q is not absolute", req.Path)})
		return
	}
	if _, ok := h.caller(w, r, "backup"); !ok {
		return
	}
	// A large ledger takes longer to copy than the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.backupTimeout))
	if err := h.b.Backup(req.Path); err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, state.ErrBackupIsLedger) {
			code = http.StatusConflict
		}
		h.fail(w, code, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// caller returns the name a decision is recorded under, the peer's user
// name, after checking the peer may decide; it answers the refusal itself.
func (h *handler) caller(w http.ResponseWriter, r *http.Request, what string) (string, bool) {
	p, err := peerFrom(r.Context())
	if err != nil {
		h.fail(w, http.StatusForbidden, fmt.Errorf("%s refused: the caller cannot be identified: %w", what, err))
		return "", false
	}
	name := userName(p.UID)
	if !h.group.admits(p) {
		h.log.Warn("control decision refused", "what", what, "user", name, "uid", p.UID, "pid", p.PID, "control_group", h.group.name)
		h.fail(w, http.StatusForbidden, fmt.Errorf("%s refused: user %s (uid %d) is neither root nor a member of control_group %s", what, name, p.UID, h.group.name))
		return "", false
	}
	h.log.Info("control decision", "what", what, "user", name, "uid", p.UID, "pid", p.PID)
	return name, true
}

// read decodes the request's JSON body into v: one value, of at most
// maxBodyBytes, with no unknown field and nothing after it.
func (h *handler) read(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("data after the JSON value")
		}
	}
	if err != nil {
		code := http.StatusBadRequest
		if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
			code = http.StatusRequestEntityTooLarge
		}
		h.fail(w, code, fmt.Errorf("read the request: %w", err))
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
