package ovh

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// wireServer is an OVH API written by hand for one test, from
// ovh-api.md and not from internal/ovhfake: each route answers exactly
// the bytes the test gives, and every signed request is checked as OVH
// checks it (§5: "$1$" + SHA1(AS+CK+METHOD+URL+body+timestamp)), so what is
// tested is the real go-ovh client with its real signing.
type wireServer struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	routes   map[string]func(r wireRequest) wireReply // by "METHOD /path" (after /1.0, no query)
	fallback func(r wireRequest) wireReply            // for paths no route names; nil = 404
	reqs     []wireRequest
}

// wireRequest is one request the server received.
type wireRequest struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
}

// wireReply is an answer, sent byte for byte. Status 0 is 200.
type wireReply struct {
	Status int
	Header map[string]string
	Body   string
}

// wireTime is the API clock the server announces on /auth/time.
const wireTime = 1_780_000_000

func newWireServer(t *testing.T) *wireServer {
	t.Helper()
	ws := &wireServer{t: t, routes: map[string]func(wireRequest) wireReply{}}
	ws.srv = httptest.NewServer(http.HandlerFunc(ws.serve))
	t.Cleanup(ws.srv.Close)
	return ws
}

// on answers every request to "METHOD /path" with fn.
func (ws *wireServer) on(route string, fn func(r wireRequest) wireReply) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.routes[route] = fn
}

// reply answers every request to route with the same body, status 200.
func (ws *wireServer) reply(route, body string) {
	ws.on(route, func(wireRequest) wireReply { return wireReply{Body: body} })
}

// status answers every request to route with an OVH error of that status.
func (ws *wireServer) status(route string, code int) {
	ws.on(route, func(wireRequest) wireReply { return ovhError(code) })
}

func ovhError(code int) wireReply {
	return wireReply{Status: code, Body: fmt.Sprintf(`{"class":"Client::Error","message":"refused with %d"}`, code)}
}

// requests returns the requests received for "METHOD /path" ("" for all),
// the clock reads left out.
func (ws *wireServer) requests(route string) []wireRequest {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	var out []wireRequest
	for _, r := range ws.reqs {
		if route == "" || r.Method+" "+r.Path == route {
			out = append(out, r)
		}
	}
	return out
}

func (ws *wireServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.Path, "/1.0")
	w.Header().Set("X-Ovh-QueryID", "EU.test-1")
	if path == "/auth/time" {
		fmt.Fprint(w, wireTime)
		return
	}
	ts := r.Header.Get("X-Ovh-Timestamp")
	sum := sha1.Sum([]byte(strings.Join([]string{testAppSecret, testConsumerKey, r.Method,
		"http://" + r.Host + r.URL.RequestURI(), string(body), ts}, "+")))
	if r.Header.Get("X-Ovh-Application") != testAppKey || r.Header.Get("X-Ovh-Consumer") != testConsumerKey ||
		r.Header.Get("X-Ovh-Signature") != "$1$"+hex.EncodeToString(sum[:]) {
		ws.t.Errorf("%s %s: bad signature or credentials", r.Method, r.URL.RequestURI())
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"errorCode":"INVALID_SIGNATURE","httpCode":"400 Bad Request","message":"Invalid signature"}`)
		return
	}
	req := wireRequest{Method: r.Method, Path: path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	ws.mu.Lock()
	ws.reqs = append(ws.reqs, req)
	fn, ok := ws.routes[r.Method+" "+path]
	if !ok {
		fn = ws.fallback
	}
	ws.mu.Unlock()
	rep := wireReply{Status: http.StatusNotFound, Body: `{"class":"Client::NotFound","message":"no such route"}`}
	if fn != nil {
		rep = fn(req)
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	if rep.Body != "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	if rep.Status != 0 {
		w.WriteHeader(rep.Status)
	}
	io.WriteString(w, rep.Body)
}

// syncBuffer is a log sink safe for the client's concurrent reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// wireClient is a Client pointed at ws, with instant retries, no rate
// limit, and its log kept in logs.
type wireClient struct {
	*Client
	logs *syncBuffer
}

func newWireClient(t *testing.T, ws *wireServer) wireClient {
	t.Helper()
	isolateOVHEnv(t)
	logs := &syncBuffer{}
	c, err := New(Options{
		Account:     "main",
		Endpoint:    ws.srv.URL + "/1.0",
		AppKey:      testAppKey,
		AppSecret:   testAppSecret,
		ConsumerKey: testConsumerKey,
		CallTimeout: 5 * time.Second,
		Retry:       []time.Duration{time.Millisecond, time.Millisecond},
		RateLimit:   rate.Inf,
		Concurrency: 3,
		Now:         func() time.Time { return time.Unix(wireTime, 0) },
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sleep:       func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return wireClient{Client: c, logs: logs}
}

// isolateOVHEnv keeps go-ovh's own configuration sources (OVH_* variables,
// ~/.ovh.conf, ./ovh.conf) out of the test (ovh-api.md §6).
func isolateOVHEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"OVH_ENDPOINT", "OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET",
		"OVH_CONSUMER_KEY", "OVH_CLIENT_ID", "OVH_CLIENT_SECRET", "OVH_ACCESS_TOKEN"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	t.Chdir(t.TempDir())
}

// serviceJSON is a GET /service/{id} answer (serviceList.Service, §1) with
// the given expirationDate, written as raw JSON ("null", `"2026-12-05"`).
func serviceJSON(name, expiration string) string {
	return `{"creationDate":"2024-01-02","details":[],"engagementDate":null,"expirationDate":` + expiration +
		`,"nextBillingDate":null,"plan":{"code":"vps-2024","product":{"name":"vps"}},"quantity":1,` +
		`"renew":{"dayOfMonth":null,"interval":"P1M","mode":"manual","possibleIntervals":["P1M"],"possibleModes":["manual"]},` +
		`"resource":{"displayName":"` + name + `","name":"` + name + `","state":"ok"},` +
		`"route":{"path":"/vps/{serviceName}","url":"/vps/` + name + `","vars":[{"key":"serviceName","value":"` + name + `"}]},"state":"ok"}`
}

// expandedJSON is a services.expanded.Service (§3) with the given raw
// billing.expirationDate.
func expandedJSON(id int64, name, expiration string) string {
	return `{"serviceId":` + strconv.FormatInt(id, 10) + `,"parentServiceId":null,"tags":[],` +
		`"customer":{"contacts":[{"customerCode":"ab1234-ovh","type":"administrator"}]},` +
		`"resource":{"displayName":"` + name + `","name":"` + name + `","product":{"name":"vps","description":"VPS"},"state":"active"},` +
		`"route":{"path":"/vps/{serviceName}","url":"/vps/` + name + `","vars":[{"key":"serviceName","value":"` + name + `"}]},` +
		`"billing":{"expirationDate":` + expiration + `,"nextBillingDate":null,"plan":{"code":"vps","invoiceName":"VPS"},` +
		`"renew":{"current":{"mode":"manual","nextDate":"2024-09-25T06:40:26Z","period":"P1M"},"capacities":{"mode":["automatic","manual"]}},` +
		`"lifecycle":{"current":{"creationDate":"2024-11-01T12:30:24Z","pendingActions":[],"state":"active","terminationDate":null},"capacities":{"actions":[]}}}}`
}

// batchJSON is a batched answer: one {key, value, error} item per pair.
func batchJSON(items ...string) string { return "[" + strings.Join(items, ",") + "]" }

func batchItemJSON(key, value string) string {
	return `{"key":` + key + `,"value":` + value + `,"error":null}`
}
