package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
)

// docsRules reads docs/operations.md's table of consumer-key rules.
func docsRules(t *testing.T) []ovhfake.AccessRule {
	t.Helper()
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "#### A least-privilege OVH consumer key")
	if !ok {
		t.Fatal("docs/operations.md has no consumer key section")
	}
	row := regexp.MustCompile("^\\| (GET|POST|PUT|DELETE) \\| `([^`]+)` \\| ")
	var out []ovhfake.AccessRule
	inTable := false
	for _, line := range strings.Split(section, "\n") {
		switch m := row.FindStringSubmatch(line); {
		case m != nil:
			out = append(out, ovhfake.AccessRule{Method: m[1], Path: m[2]})
			inTable = true
		case inTable && !strings.HasPrefix(line, "|"):
			return out
		}
	}
	return out
}

// TestDocsRuleTableIsTheCode keeps docs/operations.md's table and
// ovh.AccessRules the same list, in the same order, with the same words.
func TestDocsRuleTableIsTheCode(t *testing.T) {
	if diff := cmp.Diff(demoRules(), docsRules(t)); diff != "" {
		t.Errorf("docs/operations.md's rule table (-code +docs):\n%s", diff)
	}
	doc, _ := os.ReadFile("../../docs/operations.md")
	for _, r := range ovh.AccessRules() {
		if row := "| " + r.Method + " | `" + r.Path + "` | " + r.Why + " |"; !strings.Contains(string(doc), row) {
			t.Errorf("docs/operations.md lacks the row %s", row)
		}
	}
	if strings.Contains(string(doc), `"accessRules": [`) {
		t.Error("docs/operations.md still holds a hand-written list of access rules")
	}
}

// authCLI is a config whose consumer key file does not exist yet.
func authCLI(t *testing.T) (*cliOVH, string) {
	t.Helper()
	o := newCLIOVH(t, cliPolicies)
	ck := filepath.Join(o.dir, "ck")
	if err := os.Remove(ck); err != nil {
		t.Fatal(err)
	}
	return o, ck
}

// pipeOut is the command's stdout: the test reads it as it comes, and
// keeps all of it.
type pipeOut struct {
	w   *io.PipeWriter
	mu  sync.Mutex
	all bytes.Buffer
}

func (p *pipeOut) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.all.Write(b)
	p.mu.Unlock()
	return p.w.Write(b)
}

func (p *pipeOut) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.all.String()
}

// authRun is renewd auth running in the background, waiting for its key's
// validation.
type authRun struct {
	url  string
	out  *pipeOut
	errb bytes.Buffer
	done chan int
}

// startAuth runs renewd auth and returns once it has printed the
// validation address.
func startAuth(t *testing.T, args ...string) *authRun {
	t.Helper()
	pr, pw := io.Pipe()
	a := &authRun{out: &pipeOut{w: pw}, done: make(chan int, 1)}
	go func() {
		err := run(context.Background(), append([]string{"auth"}, args...), os.Getenv, a.out, &a.errb)
		pw.Close()
		a.done <- exitCode(err, &a.errb)
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if u := strings.TrimSpace(lines.Text()); strings.HasPrefix(u, "http://") {
			a.url = u
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if a.url == "" {
		code := <-a.done
		t.Fatalf("auth printed no validation address (exit %d): %s%s", code, a.out, a.errb.String())
	}
	return a
}

// decide is the owner's click on the validation page.
func (a *authRun) decide(t *testing.T, decision string) {
	t.Helper()
	resp, err := http.PostForm(a.url, url.Values{"decision": {decision}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// wait returns the exit code and everything printed.
func (a *authRun) wait() (int, string) {
	code := <-a.done
	return code, a.out.String() + a.errb.String()
}

// TestAuth: the key request carries exactly the docs table's rules; the key
// is written, 0600, only after its owner validated it; nothing secret is
// printed.
func TestAuth(t *testing.T) {
	table := docsRules(t) // before the test leaves the package's directory
	o, ck := authCLI(t)
	a := startAuth(t, "--config", o.config, "--poll", "1ms")
	recs := o.fake.Credentials()
	if len(recs) != 2 || recs[1].Status != ovhfake.CredentialPending {
		t.Fatalf("fake's keys: %+v", recs)
	}
	if diff := cmp.Diff(table, recs[1].Rules); diff != "" {
		t.Errorf("rules asked for (-docs table +request):\n%s", diff)
	}
	if _, err := os.Stat(ck); err == nil {
		t.Error("the key file exists before the key is validated")
	}
	a.decide(t, "validate")
	code, printed := a.wait()
	if code != 0 {
		t.Fatalf("auth exit %d: %s", code, printed)
	}
	key := o.fake.Credentials()[1].ConsumerKey
	data, err := os.ReadFile(ck)
	if err != nil || string(data) != key+"\n" {
		t.Errorf("key file = %q, %v; want the key the fake issued", data, err)
	}
	if fi, _ := os.Stat(ck); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	for _, s := range []string{key, cliCreds[1]} {
		if strings.Contains(printed, s) {
			t.Errorf("auth printed a secret:\n%s", printed)
		}
	}
	if !strings.Contains(printed, "is in "+ck+" (mode 0600)") {
		t.Errorf("auth does not say where the key went:\n%s", printed)
	}
	if code, out, errs := runCLI(t, "check-config", "--config", o.config); code != 0 {
		t.Errorf("check-config after auth: %d %s%s", code, out, errs)
	}
}

func TestAuthRefusals(t *testing.T) {
	t.Run("an existing key file without --force", func(t *testing.T) {
		o := newCLIOVH(t, cliPolicies)
		code, out, errs := runCLI(t, "auth", "--config", o.config, "--poll", "1ms")
		if code != exitUsage || !strings.Contains(errs, "--force replaces it") {
			t.Errorf("exit %d: %s%s", code, out, errs)
		}
		if n := o.fake.Requests()["POST /auth/credential"]; n != 0 {
			t.Errorf("a key was asked for (%d) that could not be written", n)
		}
		if data, _ := os.ReadFile(filepath.Join(o.dir, "ck")); string(data) != cliCreds[2]+"\n" {
			t.Errorf("the key file changed: %q", data)
		}
	})
	t.Run("--force replaces it", func(t *testing.T) {
		o := newCLIOVH(t, cliPolicies)
		a := startAuth(t, "--config", o.config, "--poll", "1ms", "--force")
		a.decide(t, "validate")
		if code, printed := a.wait(); code != 0 {
			t.Fatalf("exit %d: %s", code, printed)
		}
		data, _ := os.ReadFile(filepath.Join(o.dir, "ck"))
		if recs := o.fake.Credentials(); string(data) != recs[len(recs)-1].ConsumerKey+"\n" {
			t.Errorf("the key file holds %q", data)
		}
	})
	t.Run("a key file that appears while the owner validates", func(t *testing.T) {
		o, ck := authCLI(t)
		a := startAuth(t, "--config", o.config, "--poll", "1ms")
		if err := os.WriteFile(ck, []byte("written-meanwhile\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		a.decide(t, "validate")
		code, printed := a.wait()
		if code != exitNotDone || !strings.Contains(printed, "validated but was not written") {
			t.Errorf("exit %d: %s", code, printed)
		}
		if data, _ := os.ReadFile(ck); string(data) != "written-meanwhile\n" {
			t.Errorf("the file written meanwhile was replaced: %q", data)
		}
		if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(ck), ".ck.new-*")); len(entries) != 0 {
			t.Errorf("temporary files left: %v", entries)
		}
	})
	t.Run("never validated", func(t *testing.T) {
		o, ck := authCLI(t)
		code, out, errs := runCLI(t, "auth", "--config", o.config, "--poll", "1ms", "--timeout", "30ms")
		if code != exitNotDone || !strings.Contains(errs, "not validated within 30ms") {
			t.Errorf("exit %d: %s%s", code, out, errs)
		}
		if _, err := os.Stat(ck); err == nil {
			t.Error("a key never validated was written")
		}
	})
	t.Run("a wrong application key", func(t *testing.T) {
		o, _ := authCLI(t)
		if err := os.WriteFile(filepath.Join(o.dir, "ak"), []byte("AK-canary-wrong\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCLI(t, "auth", "--config", o.config)
		if code != exitNotDone || !strings.Contains(errs, "Invalid application key") {
			t.Errorf("exit %d: %s%s", code, out, errs)
		}
	})
}

func TestAuthPrint(t *testing.T) {
	table := docsRules(t)
	o, _ := authCLI(t)
	code, out, errs := runCLI(t, "auth", "--config", o.config, "--print")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	head, body, _ := strings.Cut(out, "\n\n")
	if !strings.HasPrefix(head, "POST http://127.0.0.1:") || !strings.Contains(head, "/1.0/auth/credential") {
		t.Errorf("request line: %s", head)
	}
	var req struct {
		AccessRules []ovhfake.AccessRule `json:"accessRules"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("body: %v\n%s", err, body)
	}
	if diff := cmp.Diff(table, req.AccessRules); diff != "" {
		t.Errorf("printed rules (-docs +printed):\n%s", diff)
	}
	if o.fake.TotalRequests() != 0 {
		t.Errorf("--print sent %d requests", o.fake.TotalRequests())
	}
}
