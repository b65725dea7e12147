package ovhfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"
)

// AccessRule is one rule of a consumer key (auth.AccessRule): an HTTP
// method on a path where "*" stands for any run of characters, slashes
// included.
type AccessRule struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// AllRules are the rules OVH's console proposes by default: every method
// on /*, which grants every call. A key configured without rules has them.
var AllRules = []AccessRule{{"GET", "/*"}, {"POST", "/*"}, {"PUT", "/*"}, {"DELETE", "/*"}}

// Credential states (auth.CredentialStateEnum).
const (
	CredentialValidated = "validated"
	CredentialPending   = "pendingValidation"
	CredentialRefused   = "refused"
	CredentialExpired   = "expired"
)

// credential is one consumer key the fake knows: the configured one
// (Options.ConsumerKey, validated) and each one POST /auth/credential
// issued.
type credential struct {
	id          int64
	key         string
	token       string // the validation URL's credentialToken
	rules       []AccessRule
	redirection string
	status      string
	created     time.Time
	expires     time.Time // zero: never
	lastUse     time.Time
}

// keyring is every consumer key of the fake, under Fake.mu.
type keyring struct {
	byKey  map[string]*credential
	order  []*credential // issue order
	nextID int64
}

func newKeyring(opts Options, now time.Time) keyring {
	rules := slices.Clone(opts.Rules)
	if rules == nil {
		rules = slices.Clone(AllRules)
	}
	first := &credential{id: 1, key: opts.ConsumerKey, rules: rules, status: CredentialValidated, created: now}
	return keyring{byKey: map[string]*credential{opts.ConsumerKey: first}, order: []*credential{first}, nextID: 2}
}

// CredentialRecord is one consumer key as the fake holds it.
type CredentialRecord struct {
	ID          int64
	ConsumerKey string
	Status      string
	Rules       []AccessRule
	Redirection string
	Created     time.Time
	Expires     time.Time // zero: never
}

// Credentials returns every consumer key, the configured one first, then
// those POST /auth/credential issued, in order.
func (f *Fake) Credentials() []CredentialRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]CredentialRecord, 0, len(f.keys.order))
	for _, c := range f.keys.order {
		out = append(out, CredentialRecord{ID: c.id, ConsumerKey: c.key, Status: c.statusAt(f.now()),
			Rules: slices.Clone(c.rules), Redirection: c.redirection, Created: c.created, Expires: c.expires})
	}
	return out
}

// SetCredentialRules replaces the rules of a consumer key (nil: AllRules),
// as GET /auth/currentCredential reports them and as the fake enforces them.
// It panics on a key the fake does not know.
func (f *Fake) SetCredentialRules(consumerKey string, rules []AccessRule) {
	f.editCredential(consumerKey, func(c *credential) {
		c.rules = slices.Clone(rules)
		if rules == nil {
			c.rules = slices.Clone(AllRules)
		}
	})
}

// SetCredentialStatus sets a consumer key's state: validated,
// pendingValidation, refused or expired. It panics on a key the fake does
// not know.
func (f *Fake) SetCredentialStatus(consumerKey, status string) {
	f.editCredential(consumerKey, func(c *credential) { c.status = status })
}

// SetCredentialExpiration makes a consumer key expire at t (zero: never).
// It panics on a key the fake does not know.
func (f *Fake) SetCredentialExpiration(consumerKey string, t time.Time) {
	f.editCredential(consumerKey, func(c *credential) { c.expires = t })
}

func (f *Fake) editCredential(key string, edit func(*credential)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.keys.byKey[key]
	if c == nil {
		panic("ovhfake: no such consumer key")
	}
	edit(c)
}

// statusAt is the key's state at now: expired once past its expiration.
func (c *credential) statusAt(now time.Time) string {
	if c.status == CredentialValidated && !c.expires.IsZero() && !now.Before(c.expires) {
		return CredentialExpired
	}
	return c.status
}

// granted reports whether the key's rules allow the call.
func (c *credential) granted(method, path string) bool {
	for _, r := range c.rules {
		if strings.EqualFold(r.Method, method) && globMatch(r.Path, path) {
			return true
		}
	}
	return false
}

// globMatch matches a path against a rule's pattern, "*" taking any run of
// characters, slashes included.
func globMatch(pattern, s string) bool {
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(pattern) && pattern[i] == '*':
			star, mark = i, j
			i++
		case i < len(pattern) && pattern[i] == s[j]:
			i++
			j++
		case star >= 0:
			mark++
			i, j = star+1, mark
		default:
			return false
		}
	}
	for i < len(pattern) && pattern[i] == '*' {
		i++
	}
	return i == len(pattern)
}

// admit checks what a consumer key may do once its signature is good: it
// must be validated (403 INVALID_CREDENTIAL, as OVH answers a key waiting
// for validation, refused or expired, on every route), and its rules must
// grant the call (403 NOT_GRANTED_CALL). With
// Options.PendingCredentialReadable a key that is not validated may read
// GET /auth/currentCredential, which tells its state. The caller holds
// f.mu.
func (f *Fake) admit(c *credential, r *http.Request, now time.Time) (reply, bool) {
	path := strings.TrimPrefix(r.URL.Path, basePath)
	self := r.Method == http.MethodGet && path == "/auth/currentCredential"
	switch st := c.statusAt(now); {
	case st != CredentialValidated && self && f.opts.PendingCredentialReadable:
		return reply{}, true
	case st != CredentialValidated:
		return legacyError(http.StatusForbidden, "INVALID_CREDENTIAL", "This credential is not valid"), false
	}
	if !c.granted(r.Method, path) {
		return legacyError(http.StatusForbidden, "NOT_GRANTED_CALL", "This call has not been granted"), false
	}
	c.lastUse = now
	return reply{}, true
}

// authCredentialRequest is the body of POST /auth/credential.
type authCredentialRequest struct {
	AccessRules []AccessRule `json:"accessRules"`
	Redirection string       `json:"redirection"`
}

// postAuthCredential answers POST /auth/credential (unsigned): it needs the
// application key (403 INVALID_KEY otherwise) and at least one rule, each
// with a method of http.MethodEnum and a path starting with "/" (400), and
// issues a key waiting for validation at its validationUrl, a page the fake
// serves (see serveValidation).
func (f *Fake) postAuthCredential(c *call) reply {
	if c.r.Header.Get("X-Ovh-Application") != f.opts.AppKey {
		return legacyError(http.StatusForbidden, "INVALID_KEY", "Invalid application key")
	}
	var req authCredentialRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return badRequest("Invalid body: %v", err)
	}
	if len(req.AccessRules) == 0 {
		return badRequest("Missing parameter accessRules")
	}
	for _, r := range req.AccessRules {
		if !slices.Contains([]string{"GET", "POST", "PUT", "DELETE"}, r.Method) || !strings.HasPrefix(r.Path, "/") {
			return badRequest("Invalid access rule: method %q on path %q", r.Method, r.Path)
		}
	}
	cr := &credential{id: f.keys.nextID, key: randomToken(16), token: randomToken(12), rules: req.AccessRules,
		redirection: req.Redirection, status: CredentialPending, created: c.now}
	f.keys.nextID++
	f.keys.byKey[cr.key] = cr
	f.keys.order = append(f.keys.order, cr)
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return okReply(struct {
		ConsumerKey   string `json:"consumerKey"`
		State         string `json:"state"`
		ValidationURL string `json:"validationUrl"`
	}{cr.key, cr.status, scheme + "://" + c.r.Host + validationPath + "?credentialToken=" + cr.token})
}

// apiCredential is api.Credential, GET /auth/currentCredential.
type apiCredential struct {
	AllowedIPs    []string     `json:"allowedIPs"`
	ApplicationID int64        `json:"applicationId"`
	Creation      string       `json:"creation"`
	CredentialID  int64        `json:"credentialId"`
	Expiration    *string      `json:"expiration"`
	LastUse       *string      `json:"lastUse"`
	OvhSupport    bool         `json:"ovhSupport"`
	Rules         []AccessRule `json:"rules"`
	Status        string       `json:"status"`
}

// fakeApplicationID is the application every key of the fake belongs to.
const fakeApplicationID = 4242

// getCurrentCredential answers GET /auth/currentCredential: the record of
// the key that signed the request.
func (f *Fake) getCurrentCredential(c *call) reply {
	cr := f.keys.byKey[c.r.Header.Get("X-Ovh-Consumer")]
	if cr == nil { // authenticate let it through: it is known
		return legacyError(http.StatusForbidden, "INVALID_CREDENTIAL", "This credential is not valid")
	}
	tf := f.wire.Time
	rules := slices.Clone(cr.rules)
	if rules == nil {
		rules = []AccessRule{}
	}
	return okReply(apiCredential{ApplicationID: fakeApplicationID, Creation: tf.instant(cr.created),
		CredentialID: cr.id, Expiration: tf.instantPtr(cr.expires), LastUse: tf.instantPtr(cr.lastUse),
		Rules: rules, Status: cr.statusAt(c.now)})
}

// validationPath is where a validationUrl leads: OVH's login page, on which
// the account's owner grants the key its rules, outside /1.0.
const validationPath = "/auth/"

// serveValidation plays the validation page of a key waiting for it. GET
// shows the rules asked for and a form; POST decides: decision=refuse
// refuses the key, anything else validates it, for validity (a Go duration
// such as 24h; empty: unlimited). An unknown token, or a key no longer
// waiting, is a 404.
func (f *Fake) serveValidation(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("credentialToken")
	f.mu.Lock()
	defer f.mu.Unlock()
	var cr *credential
	for _, c := range f.keys.order {
		if token != "" && c.token == token && c.status == CredentialPending {
			cr = c
		}
	}
	if cr == nil {
		http.Error(w, "no key waits for validation with this token", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString("<html><body><h1>Validate an API key</h1><p>The application asks for:</p><ul>")
		for _, rule := range cr.rules {
			fmt.Fprintf(&b, "<li>%s %s</li>", html.EscapeString(rule.Method), html.EscapeString(rule.Path))
		}
		b.WriteString(`</ul><form method="post"><input name="validity" placeholder="unlimited">` +
			`<button name="decision" value="validate">Log in and validate</button>` +
			`<button name="decision" value="refuse">Refuse</button></form></body></html>`)
		_, _ = w.Write([]byte(b.String()))
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if r.PostForm.Get("decision") == "refuse" {
			cr.status = CredentialRefused
			_, _ = w.Write([]byte("refused\n"))
			return
		}
		if v := r.PostForm.Get("validity"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				http.Error(w, "bad validity", http.StatusBadRequest)
				return
			}
			cr.expires = f.now().Add(d)
		}
		cr.status = CredentialValidated
		_, _ = w.Write([]byte("validated\n"))
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// randomToken is n random bytes in hex.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
