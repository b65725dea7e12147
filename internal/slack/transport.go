package slack

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// tokenTransport moves the "token" slack-go puts in the form body of
// chat.* calls into the Authorization header, which Slack accepts for every
// Web API method. A token in a body ends up in proxy logs, debug dumps and
// fakes' recordings; a header is where credentials are expected and
// redacted.
type tokenTransport struct{ next http.RoundTripper }

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	if req.Method != http.MethodPost || req.Body == nil ||
		!strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return next.RoundTrip(req)
	}
	raw, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	values, err := url.ParseQuery(string(raw))
	if err != nil || values.Get("token") == "" {
		return next.RoundTrip(withBody(req, raw))
	}
	token := values.Get("token")
	values.Del("token")
	body := []byte(values.Encode())
	out := withBody(req, body)
	if out.Header.Get("Authorization") == "" {
		out.Header.Set("Authorization", "Bearer "+token)
	}
	return next.RoundTrip(out)
}

// withBody returns a copy of req that sends body.
func withBody(req *http.Request, body []byte) *http.Request {
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(strings.NewReader(string(body)))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(body))), nil }
	out.ContentLength = int64(len(body))
	return out
}
