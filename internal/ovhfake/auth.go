package ovhfake

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// credentials are what the fake accepts and how far a timestamp may stray.
type credentials struct {
	appKey, appSecret, consumerKey string
	maxSkew                        time.Duration // negative: no check
}

// signature is OVH's request signature:
// "$1$" + hex(sha1(AS+"+"+CK+"+"+METHOD+"+"+fullURL+"+"+body+"+"+timestamp)).
func signature(appSecret, consumerKey, method, fullURL string, body []byte, timestamp string) string {
	h := sha1.New()
	_, _ = io.WriteString(h, appSecret+"+"+consumerKey+"+"+method+"+"+fullURL+"+")
	_, _ = h.Write(body)
	_, _ = io.WriteString(h, "+"+timestamp)
	return "$1$" + hex.EncodeToString(h.Sum(nil))
}

// requestURL is the URL the client signed: scheme, Host header and the
// request target exactly as sent (path and query, still encoded).
func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") { // absent (a request built in a test) or absolute-form
		target = r.URL.RequestURI()
	}
	return scheme + "://" + r.Host + target
}

// verifyRequest checks a signed request as OVH does and returns the error
// answer when it fails. The order of checks: missing headers (401), unknown
// application key (403 INVALID_KEY), wrong consumer key (403
// INVALID_CREDENTIAL), timestamp out of the window (400 QUERY_TIME_OUT),
// signature (400 INVALID_SIGNATURE). No secret appears in an answer.
func verifyRequest(r *http.Request, body []byte, cr credentials, now time.Time) (reply, bool) {
	ak := r.Header.Get("X-Ovh-Application")
	ck := r.Header.Get("X-Ovh-Consumer")
	ts := r.Header.Get("X-Ovh-Timestamp")
	sig := r.Header.Get("X-Ovh-Signature")
	if ak == "" || ck == "" || ts == "" || sig == "" {
		return jsonReply(http.StatusUnauthorized, struct {
			Message string `json:"message"`
		}{"You must login first"}), false
	}
	if subtle.ConstantTimeCompare([]byte(ak), []byte(cr.appKey)) != 1 {
		return legacyError(http.StatusForbidden, "INVALID_KEY", "Invalid application key"), false
	}
	if subtle.ConstantTimeCompare([]byte(ck), []byte(cr.consumerKey)) != 1 {
		return legacyError(http.StatusForbidden, "INVALID_CREDENTIAL", "This credential is not valid"), false
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return legacyError(http.StatusBadRequest, "QUERY_TIME_OUT", "Query out of time (the timestamp is not a number)"), false
	}
	if cr.maxSkew >= 0 {
		skew := time.Duration(unix-now.Unix()) * time.Second
		if skew < 0 {
			skew = -skew
		}
		if skew > cr.maxSkew {
			return legacyError(http.StatusBadRequest, "QUERY_TIME_OUT", fmt.Sprintf(
				"Query out of time (timestamp %d is %s from the server clock; the fake allows %s, see ovhfake.Options.MaxSkew)",
				unix, skew, cr.maxSkew)), false
		}
	}
	want := signature(cr.appSecret, cr.consumerKey, r.Method, requestURL(r), body, ts)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return legacyError(http.StatusBadRequest, "INVALID_SIGNATURE", "Invalid signature"), false
	}
	return reply{}, true
}

// authenticate checks a signed request: its signature against the
// consumer key it names (the configured one, or one POST /auth/credential
// issued), then what that key may do (admit, credential.go).
func (f *Fake) authenticate(r *http.Request, body []byte, now time.Time) (reply, bool) {
	f.mu.Lock()
	cr := f.keys.byKey[r.Header.Get("X-Ovh-Consumer")]
	f.mu.Unlock()
	ck := f.opts.ConsumerKey
	if cr != nil {
		ck = cr.key
	}
	if rep, ok := verifyRequest(r, body, credentials{
		appKey:      f.opts.AppKey,
		appSecret:   f.opts.AppSecret,
		consumerKey: ck,
		maxSkew:     f.opts.MaxSkew,
	}, now); !ok {
		return rep, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admit(cr, r, now)
}

// getAuthTime answers GET /auth/time: the server's clock as a bare integer
// of unix seconds. It needs no authentication.
func (f *Fake) getAuthTime(c *call) reply { return okReply(c.now.Unix()) }
